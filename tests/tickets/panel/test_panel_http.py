"""The admin panel over HTTP (the desk with a real SQLite store, httpx on 127.0.0.1): log-in and its
lock-out, sessions, CSRF on every form, the filtered list, a ticket's actions reaching the managers'
card, the report download, the statistics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ..desk_kit import PDF, VIN, VIN_US, Desk
from .kit import ENGLISH, PASSWORD, hidden, logged_in, panel_desk, service


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with panel_desk(tmp_path) as opened:
        yield opened


async def test_pages_need_a_session_and_a_forged_cookie_is_not_one(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as anonymous:
        for path in ("/admin/tickets", "/admin/tickets/1", "/admin/stats", "/admin/tickets/1/report"):
            reply = await anonymous.get(path)
            assert reply.status_code == 303, path
            assert reply.headers["Location"] == "/admin/login"
        anonymous.cookies.set("tgflow_panel", "made-up-token", path="/admin")
        assert (await anonymous.get("/admin/tickets")).status_code == 303


async def test_a_wrong_password_is_refused_and_five_in_a_row_lock_the_account(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as client:
        for attempt in range(5):
            page = await client.get("/admin/login")
            reply = await client.post("/admin/login", data={
                "csrf": hidden(page.text), "name": "root", "password": f"guess {attempt}"})
            assert reply.status_code == 401
        assert "log-in is locked for 15 minutes" in reply.text
        page = await client.get("/admin/login")
        reply = await client.post("/admin/login", data={"csrf": hidden(page.text), "name": "root",
                                                        "password": PASSWORD})
        assert reply.status_code == 401  # the right password, but locked
        assert "log-in is locked" in reply.text
        assert "tgflow_panel" not in reply.cookies


async def test_the_session_cookie_is_http_only_and_strict(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as client:
        page = await client.get("/admin/login")
        reply = await client.post("/admin/login", data={"csrf": hidden(page.text), "name": "root",
                                                        "password": PASSWORD})
        cookie = next(v for k, v in reply.headers.multi_items()
                      if k.lower() == "set-cookie" and v.startswith("tgflow_panel="))
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Path=/admin" in cookie
        page = await client.get("/admin/tickets")
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["Cache-Control"] == "no-store"


async def test_a_post_without_the_csrf_token_changes_nothing(desk: Desk) -> None:
    await desk.alice.send(VIN)
    async with logged_in(desk) as client:
        for data in ({}, {"csrf": "forged"}):
            reply = await client.post("/admin/tickets/1/priority", data=data)
            assert reply.status_code == 403
        login_form = await client.post("/admin/login", data={"name": "root", "password": PASSWORD})
        assert login_form.status_code == 403  # the log-in form has its token too
    ticket = await service(desk).store.get(1)
    assert ticket is not None
    assert ticket.priority == 0


async def test_the_list_filters_by_status_manager_and_vin(desk: Desk) -> None:
    await desk.alice.send(VIN)
    await desk.alice.send(VIN_US)
    await desk.ann.click_data(desk.card_of(1).message_id, "take:1")
    async with logged_in(desk) as client:
        everything = await client.get("/admin/tickets")
        assert 'id="total">2<' in everything.text
        taken = await client.get("/admin/tickets", params={"status": "TAKEN", "manager": str(desk.ann.id)})
        assert 'id="total">1<' in taken.text
        assert VIN in taken.text
        by_vin = await client.get("/admin/tickets", params={"vin": "h41jx"})
        assert VIN_US in by_vin.text
        assert VIN not in by_vin.text
        bad = await client.get("/admin/tickets", params={"from": "yesterday"})
        assert bad.status_code == 400


async def test_actions_change_the_ticket_write_its_history_and_update_the_card(desk: Desk) -> None:
    await desk.alice.send(VIN)
    card = desk.card_of(1).message_id
    async with logged_in(desk) as client:
        page = await client.get("/admin/tickets/1")
        csrf = hidden(page.text)
        reply = await client.post("/admin/tickets/1/reassign",
                                  data={"csrf": csrf, "manager": str(desk.bob.id)})
        assert reply.status_code == 303
        assert "Bob" in (desk.card_of(1).content or "")  # the managers' card shows who holds it now
        assert (await client.post("/admin/tickets/1/priority", data={"csrf": csrf})).status_code == 303
        refused = await client.post("/admin/tickets/1/cancel", data={"csrf": csrf, "reason": " "})
        assert refused.status_code == 400
        outsider = await client.post("/admin/tickets/1/reassign", data={"csrf": csrf, "manager": "999"})
        assert outsider.status_code == 400
        await desk.bob.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
        done = (await client.get("/admin/tickets/1")).text
        assert 'action="/admin/tickets/1/reopen"' in done  # a DONE ticket offers reopening...
        assert 'action="/admin/tickets/1/cancel"' not in done  # ...and no longer cancelling
        reopened = await client.post("/admin/tickets/1/reopen", data={"csrf": csrf, "reason": "wrong trim"})
        assert reopened.status_code == 303
        page = await client.get("/admin/tickets/1")
        assert 'id="status">in work<' in page.text
        history = page.text.split('id="history"')[1]
        for seen in ("root", "wrong trim", "Bob"):
            assert seen in history
        download = await client.get("/admin/tickets/1/report")
        assert download.content == PDF
        await desk.alice.send(VIN_US)
        canceled = await client.post("/admin/tickets/2/cancel", data={"csrf": csrf, "reason": "test order"})
        assert canceled.status_code == 303
        told = desk.alice.last.content  # in her language, without the desk's inner reason
        assert told.startswith("❌ Заявка №2")
        assert "отменена службой поддержки" in told
        assert "test order" not in told
    ticket = await service(desk).store.get(2)
    assert ticket is not None
    assert ticket.status.value == "CANCELED"
    assert desk.play.rejected_calls() == []


async def test_statistics_show_the_managers_and_a_chart(desk: Desk) -> None:
    await desk.alice.send(VIN)
    await desk.ann.click_data(desk.card_of(1).message_id, "take:1")
    async with logged_in(desk) as client:
        page = await client.get("/admin/stats", params={"days": "7", "lang": "en"})
        assert page.status_code == 200
        assert "Median minutes to take" in page.text
        assert "<svg" in page.text
        assert page.text.split('id="chart"')[1].count("<rect") == 7  # a bar per day
        assert "Ann" in page.text.split('id="managers"')[1]


async def test_logging_out_ends_the_session(desk: Desk) -> None:
    async with logged_in(desk) as client:
        page = await client.get("/admin/tickets")
        reply = await client.post("/admin/logout", data={"csrf": hidden(page.text)})
        assert reply.status_code == 303
        assert (await client.get("/admin/tickets")).status_code == 303
