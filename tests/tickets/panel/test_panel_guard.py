"""The panel's log-in beyond the happy path, over HTTP on 127.0.0.1: failures from one address lock
that address for every account, a session past its lifetime is no session, the cookie is Secure when
the panel is reached over https, and the ticket list pages through what the filters keep."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from actions.tickets.panel.render import medians_svg
from actions.tickets.panel.security import ADDRESS_LIMIT, hash_password

from ..desk_kit import MANAGER_CHAT, PDF, VIN, Desk
from .kit import ENGLISH, PASSWORD, hidden, logged_in, panel_desk, service


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with panel_desk(tmp_path) as opened:
        yield opened


async def log_in(client: httpx.AsyncClient, name: str, password: str,
                 headers: dict[str, str] | None = None) -> httpx.Response:
    page = await client.get("/admin/login")
    return await client.post("/admin/login", headers=headers,
                             data={"csrf": hidden(page.text), "name": name, "password": password})


async def test_failures_from_one_address_lock_it_out_for_every_account(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as client:
        csrf = hidden((await client.get("/admin/login")).text)
        guesses = await asyncio.gather(*(  # at once, as a script would: every one counts
            client.post("/admin/login", data={"csrf": csrf, "name": f"guess{n}", "password": PASSWORD})
            for n in range(ADDRESS_LIMIT)))  # names nobody has: no account is locked by these
        assert [g.status_code for g in guesses] == [401] * ADDRESS_LIMIT
        refused = await log_in(client, "root", PASSWORD)  # the right password of a real account
        assert refused.status_code == 401
        assert "log-in is locked" in refused.text
        assert "tgflow_panel" not in refused.cookies
    account = await service(desk).store.account("root")
    assert account is not None
    assert account.locked_until is None  # the address was refused, the account was not touched


async def test_a_locked_account_opens_again_after_fifteen_minutes(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as client:
        for attempt in range(5):
            await log_in(client, "root", f"guess {attempt}")
        desk.clock.advance(timedelta(minutes=14))
        assert (await log_in(client, "root", PASSWORD)).status_code == 401
        desk.clock.advance(timedelta(minutes=2))
        assert (await log_in(client, "root", PASSWORD)).status_code == 303


async def test_a_session_past_its_eight_hours_is_no_session(desk: Desk) -> None:
    await desk.alice.send(VIN)
    async with logged_in(desk) as client:
        csrf = hidden((await client.get("/admin/tickets/1")).text)
        desk.clock.advance(timedelta(hours=8, minutes=1))
        page = await client.get("/admin/tickets")
        assert page.status_code == 303
        assert page.headers["Location"] == "/admin/login"
        act = await client.post("/admin/tickets/1/priority", data={"csrf": csrf})
        assert act.status_code == 303
        assert act.headers["Location"] == "/admin/login"
    ticket = await service(desk).store.get(1)
    assert ticket is not None
    assert ticket.priority == 0


async def test_the_cookies_are_secure_when_the_panel_is_reached_over_https(desk: Desk) -> None:
    def cookie(reply: httpx.Response, name: str) -> str:
        return next(v for k, v in reply.headers.multi_items()
                    if k.lower() == "set-cookie" and v.startswith(f"{name}="))

    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as client:
        plain = await client.get("/admin/login")
        assert "Secure" not in cookie(plain, "tgflow_panel_login")  # http on loopback: a browser
        # would drop a Secure cookie
        behind_proxy = await log_in(client, "root", PASSWORD, headers={"X-Forwarded-Proto": "https"})
        assert behind_proxy.status_code == 303
        assert "Secure" in cookie(behind_proxy, "tgflow_panel")


async def test_the_list_pages_through_what_the_filters_keep(desk: Desk) -> None:
    store = service(desk).store
    for customer in range(27):
        await store.create(VIN, 5000 + customer, 5000 + customer, f"Customer {customer}", max_per_hour=5)
    await store.raise_by_admin(3, by="root")
    async with logged_in(desk) as client:
        first = await client.get("/admin/tickets")
        assert 'id="total">27<' in first.text
        assert first.text.count('<a href="/admin/tickets/') == 25
        assert "1 / 2" in first.text
        follow = re.search(r'href="([^"]+)" id="next"', first.text)
        assert follow is not None
        second = await client.get(follow.group(1).replace("&amp;", "&"))
        assert second.text.count('<a href="/admin/tickets/') == 2
        assert "2 / 2" in second.text
        urgent = await client.get("/admin/tickets", params={"priority": "1", "status": "NEW"})
        assert 'id="total">1<' in urgent.text
        assert 'href="/admin/tickets/3"' in urgent.text
        assert 'id="next"' not in urgent.text
        today = desk.clock().date().isoformat()
        assert 'id="total">27<' in (await client.get("/admin/tickets", params={"from": today})).text
        tomorrow = (desk.clock().date() + timedelta(days=1)).isoformat()
        assert 'id="total">0<' in (await client.get("/admin/tickets", params={"from": tomorrow})).text


async def test_a_tickets_page_links_to_its_card_in_the_managers_group(desk: Desk) -> None:
    await desk.alice.send(VIN)  # through the bot: the card is posted to the managers' group
    card = desk.card_of(1).message_id
    await service(desk).store.create(VIN, 6000, 6000, "Walk-in", max_per_hour=5)  # no card
    async with logged_in(desk) as client:
        with_card = (await client.get("/admin/tickets/1")).text.split('id="card"')[1]
        assert f'href="https://t.me/c/{str(MANAGER_CHAT)[4:]}/{card}"' in with_card.split("</td>")[0]
        without = (await client.get("/admin/tickets/2")).text.split('id="card"')[1]
        assert "not posted yet" in without.split("</td>")[0]


async def test_a_reopened_ticket_delivers_its_corrected_report_to_the_customer(desk: Desk) -> None:
    corrected = PDF.replace(b"<< >>", b"<< /Corrected true >>", 1)
    await desk.alice.send(VIN)
    card = desk.card_of(1).message_id
    await desk.ann.click_data(card, "take:1")
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    async with logged_in(desk) as client:
        csrf = hidden((await client.get("/admin/tickets/1")).text)
        reopened = await client.post("/admin/tickets/1/reopen", data={"csrf": csrf, "reason": "wrong trim"})
        assert reopened.status_code == 303
        await desk.ann.send_document(corrected, "report-fixed.pdf", "application/pdf", reply_to=card)
        reports = [m for m in desk.alice.messages if m.document]
        assert len(reports) == 2  # the first report and the corrected one
        page = (await client.get("/admin/tickets/1")).text
        assert 'id="status">done<' in page
        assert page.split('id="history"')[1].count("report delivered") == 2
        assert (await client.get("/admin/tickets/1/report")).content == corrected


async def test_statistics_draw_each_managers_medians(desk: Desk) -> None:
    await desk.alice.send(VIN)
    card = desk.card_of(1).message_id
    desk.clock.advance(timedelta(minutes=10))
    await desk.ann.click_data(card, "take:1")
    desk.clock.advance(timedelta(minutes=30))
    await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
    async with logged_in(desk) as client:
        page = (await client.get("/admin/stats", params={"lang": "en"})).text
    chart = page.split('id="medians"')[1].split("</svg>")[0]
    assert ">Ann<" in chart
    assert "<title>Median minutes to take: 10</title>" in chart
    assert "<title>Median minutes to finish: 30</title>" in chart


def test_the_medians_chart_escapes_what_telegram_calls_a_manager() -> None:
    chart = medians_svg([{"name": "<script>x</script>", "median_take": 4, "median_done": None}],
                        "to take", "to <finish>")
    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart
    assert "to &lt;finish&gt;: —" in chart  # no median yet: no bar, a dash


async def test_a_changed_password_ends_the_accounts_sessions(desk: Desk) -> None:
    async with logged_in(desk) as client:
        assert (await client.get("/admin/tickets")).status_code == 200
        assert await service(desk).store.set_password("root", hash_password("a new long password"))
        reply = await client.get("/admin/tickets")
        assert reply.status_code == 303
        assert reply.headers["Location"] == "/admin/login"


async def test_a_name_nobody_has_locks_like_an_account_so_locking_reveals_no_name(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as client:
        answers = [await log_in(client, "nobody", f"guess {n}") for n in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert "log-in is locked for 15 minutes" not in answers[3].text
    assert "log-in is locked for 15 minutes" in answers[4].text  # as root's fifth failure says
