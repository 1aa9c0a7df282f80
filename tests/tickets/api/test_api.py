"""The VIN desk's API for apps (/api/v1), over loopback HTTP against the bot with a real SQLite store:
an app opens a ticket for its customer with the bot's rules, the managers get the card in their group,
and once a manager replies with the PDF the app downloads it. Keys, customers and origins are checked."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from actions.tickets.api.keys import ApiKeys, hash_key
from actions.tickets.desk_service import Desk as DeskService
from engine.errors import ConfigError

from ..desk_kit import PDF, VIN, Desk, open_desk

KEY = "vdk_test-key-of-the-mobile-app-0123456789abcdef"
OTHER_KEY = "vdk_test-key-of-the-partner-site-0123456789"
ORIGIN = "https://app.example.org"


def environ(**extra: str) -> dict[str, str]:
    return {"API_KEYS": f"mobile:{hash_key(KEY)}, partner:{hash_key(OTHER_KEY)}",
            "API_CORS_ORIGINS": ORIGIN, "TICKETS_PER_HOUR": "2", **extra}


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}", extra_env=environ(),
                         http=True) as opened:
        yield opened


def app_of(desk: Desk, customer: int, key: str = KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"{desk.play.http_url}/api/v1", headers={
        "Authorization": f"Bearer {key}", "X-Customer-Id": str(customer)})


async def test_an_app_opens_a_ticket_and_the_managers_get_its_card(desk: Desk) -> None:
    async with app_of(desk, desk.alice.id) as app:
        reply = await app.post("/tickets", json={"vin": "wdb ea30d3-ha391172", "name": "Alice S",
                                                 "locale": "en"})
        assert reply.status_code == 201, reply.text
        ticket = reply.json()
        assert ticket["vin"] == VIN
        assert ticket["status"] == "NEW"
        assert ticket["report_available"] is False
        assert reply.headers["Location"] == f"/api/v1/tickets/{ticket['id']}"
        card = desk.card_of(ticket["id"])
        assert "Alice S" in card.content
        assert VIN in card.content
        listed = (await app.get("/tickets")).json()["tickets"]
        assert [t["id"] for t in listed] == [ticket["id"]]
        assert (await app.get(f"/tickets/{ticket['id']}")).json() == ticket
    assert desk.play.rejected_calls() == []


async def test_the_bots_rules_apply_invalid_vin_duplicate_and_the_hourly_limit(desk: Desk) -> None:
    async with app_of(desk, desk.alice.id) as app:
        invalid = await app.post("/tickets", json={"vin": "WDBEA30D3HA39117O"})
        assert invalid.status_code == 422
        assert invalid.json()["error"]["code"] == "invalid_vin"
        assert invalid.json()["error"]["vin_check"]["error"] == "forbidden_letters"
        assert invalid.json()["error"]["vin_check"]["suggestion"] == "WDBEA30D3HA391170"
        first = (await app.post("/tickets", json={"vin": VIN})).json()
        again = await app.post("/tickets", json={"vin": VIN})
        assert again.status_code == 409
        assert again.json()["error"]["ticket"]["id"] == first["id"]
        assert (await app.post("/tickets", json={"vin": "1HGBH41JXMN109186"})).status_code == 201
        limited = await app.post("/tickets", json={"vin": "WP0ZZZ99ZTS392124"})
        assert limited.status_code == 429
        assert 0 < int(limited.headers["Retry-After"]) <= 3600
        assert len(desk.cards()) == 2


async def test_without_a_valid_key_or_a_customer_nothing_is_read_or_opened(desk: Desk) -> None:
    base = f"{desk.play.http_url}/api/v1"
    async with httpx.AsyncClient(base_url=base) as anonymous:
        reply = await anonymous.get("/tickets", headers={"X-Customer-Id": "5"})
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "unauthorized"
        revoked = "vdk_a-key-that-is-not-in-API_KEYS-any-more-000"
        reply = await anonymous.post("/tickets", json={"vin": VIN},
                                     headers={"X-Api-Key": revoked, "X-Customer-Id": "5"})
        assert reply.status_code == 401
        reply = await anonymous.get("/tickets", headers={"X-Api-Key": OTHER_KEY})
        assert reply.status_code == 400
        assert reply.json()["error"]["code"] == "customer_required"
        for bad in ("0", "-3", "abc", "1.5", str(2**60)):
            reply = await anonymous.get("/tickets", headers={"X-Api-Key": OTHER_KEY,
                                                             "X-Customer-Id": bad})
            assert reply.status_code == 400, bad
    assert desk.cards() == []


async def test_a_customer_sees_only_their_own_tickets(desk: Desk) -> None:
    async with app_of(desk, desk.alice.id) as alice, app_of(desk, 777, OTHER_KEY) as stranger:
        ticket = (await alice.post("/tickets", json={"vin": VIN})).json()
        assert (await stranger.get(f"/tickets/{ticket['id']}")).status_code == 404
        assert (await stranger.get(f"/tickets/{ticket['id']}/report")).status_code == 404
        assert (await stranger.get("/tickets")).json() == {"tickets": []}
        for bad in ("abc", "0", "99999999999999999999"):
            assert (await alice.get(f"/tickets/{bad}")).status_code == 404


async def test_the_report_a_manager_sent_is_downloaded_by_the_app(desk: Desk) -> None:
    async with app_of(desk, desk.alice.id) as app:
        await desk.alice.send("/start")  # the customer has the bot: the report reaches her too
        ticket = (await app.post("/tickets", json={"vin": VIN})).json()
        early = await app.get(f"/tickets/{ticket['id']}/report")
        assert early.status_code == 404
        assert early.json()["error"]["code"] == "no_report"
        card = desk.card_of(ticket["id"]).message_id
        await desk.ann.click_data(card, f"take:{ticket['id']}")
        await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
        assert (await app.get(f"/tickets/{ticket['id']}")).json()["report_available"] is True
        report = await app.get(f"/tickets/{ticket['id']}/report")
        assert report.status_code == 200
        assert report.headers["Content-Type"] == "application/pdf"
        assert report.content == PDF
        assert report.headers["X-Report-Sha256"] == hashlib.sha256(PDF).hexdigest()
        assert desk.alice.last.document is not None


async def test_an_apps_customer_who_never_started_the_bot_gets_the_report_through_the_app(
    desk: Desk,
) -> None:
    app_only = 5_550_001  # a Telegram user the bot has never talked to
    async with app_of(desk, app_only) as app:
        ticket = (await app.post("/tickets", json={"vin": VIN, "name": "App user"})).json()
        card = desk.card_of(ticket["id"]).message_id
        await desk.ann.click_data(card, f"take:{ticket['id']}")
        await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
        assert desk.ann.texts()[-1] == f"Отчёт по заявке №{ticket['id']} доставлен клиенту ✅"
        assert (await app.get(f"/tickets/{ticket['id']}")).json()["status"] == "DONE"
        report = await app.get(f"/tickets/{ticket['id']}/report")
        assert report.content == PDF
        [journal] = await desk.play.app.runtime.services.get(DeskService).store.deliveries(
            ticket["id"])
        assert journal.message_id == 0  # no Telegram message: the app has it


async def test_browsers_may_call_from_the_configured_origins_only(desk: Desk) -> None:
    async with app_of(desk, desk.alice.id) as app:
        preflight = await app.options("/tickets", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-customer-id, content-type"})
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "X-Customer-Id" in preflight.headers["Access-Control-Allow-Headers"]
        foreign = await app.options("/tickets", headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        assert "Access-Control-Allow-Origin" not in foreign.headers
        allowed = await app.get("/tickets", headers={"Origin": ORIGIN})
        assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
        refused = await app.post("/tickets", json={"vin": VIN},
                                 headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "origin_not_allowed"
    assert desk.cards() == []


async def test_malformed_bodies_get_a_4xx_with_a_code(desk: Desk) -> None:
    async with app_of(desk, desk.alice.id) as app:
        assert (await app.post("/tickets", content=b"vin=1", headers={
            "Content-Type": "application/x-www-form-urlencoded"})).status_code == 415
        broken = await app.post("/tickets", content=b"{", headers={"Content-Type": "application/json"})
        assert broken.json()["error"]["code"] == "malformed_json"
        assert (await app.post("/tickets", json=["vin"])).status_code == 400
        assert (await app.post("/tickets", json={"vin": "X" * 65})).status_code == 422
        assert (await app.post("/tickets", json={"vin": 12345})).status_code == 422
        assert (await app.get("/tickets?limit=500")).status_code == 422
        assert (await app.delete("/tickets")).status_code == 405


async def test_the_openapi_document_is_served_without_a_key(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.play.http_url) as http:
        document = (await http.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}",
                                      "/api/v1/tickets/{ticket_id}/report"}


async def test_a_malformed_key_list_stops_the_start_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"API_KEYS, entry 1: expected client:sha256hex"):
        async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}",
                             extra_env={"API_KEYS": "mobile:not-a-hash"}, http=True):
            pass


def test_a_new_key_from_the_command_line_is_accepted_for_its_client() -> None:
    done = subprocess.run([sys.executable, "-m", "actions.tickets.api", "new-key", "kiosk"],
                          capture_output=True, text=True, check=True)
    key = done.stdout.split("it is not stored anywhere): ")[1].split()[0]
    pair = done.stdout.split("add to API_KEYS: ")[1].strip()
    keys = ApiKeys.parse(f"{pair}, mobile:{hash_key(KEY)}")
    assert keys.client_of(key) == "kiosk"
    assert keys.client_of(KEY) == "mobile"
    assert keys.client_of(key + "x") is None
    assert len(key) > 40
