"""Routes a bot's action package serves beside the bot (``pkg.add_route``), as the test kit,
``serve`` and the web playground mount them: parameters and settings reach the handler, the
bot's notifier sends from it, failures are answered in one JSON line, and paths are checked at
start-up."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from engine.errors import ConfigError
from engine.routes import BotRoutes, PackageRoute, RouteTable, compile_path
from engine.testing import Playground, visible

SCENARIO = Path(__file__).parent / "fixtures" / "routed" / "routed.yaml"


async def test_a_route_gets_its_path_parameters_and_the_bots_settings() -> None:
    async with Playground.open(SCENARIO, http=True, environ={"GREETING": "Salom"}) as play, \
            httpx.AsyncClient(base_url=play.http_url) as http:
        reply = await http.get("/routed/hello/Ann")
        assert reply.status_code == 200
        assert reply.json() == {"greeting": "Salom, Ann", "bot": "routed"}


async def test_a_route_sends_a_templated_message_through_the_bots_notifier() -> None:
    async with Playground.open(SCENARIO, http=True) as play, \
            httpx.AsyncClient(base_url=play.http_url) as http:
        alice = play.user(language_code="en")
        reply = await http.post(f"/routed/chats/{alice.id}/ping", json={"who": "<the app>"})
        assert reply.status_code == 201
        assert visible(alice.last.text) == "Ping from <the app>"  # escaped, then shown as text
        assert alice.last.message_id == reply.json()["message_id"]
        assert play.rejected_calls() == []


async def test_a_failing_handler_is_a_500_in_one_json_line_and_its_traceback_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Playground.open(SCENARIO, http=True) as play, \
            httpx.AsyncClient(base_url=play.http_url) as http:
        with caplog.at_level(logging.ERROR, logger="engine.routes"):
            reply = await http.get("/routed/broken")
        assert reply.status_code == 500
        assert reply.json() == {"error": {"code": "internal",
                                          "message": "the server failed on this request"}}
        assert "the handler has a bug" not in reply.text
        assert any(r.exc_info and "the handler has a bug" in str(r.exc_info[1])
                   for r in caplog.records)
        reply = await http.get("/routed/unavailable")
        assert reply.status_code == 503
        assert reply.json()["error"]["code"] == "unavailable"


async def test_a_known_path_with_another_method_is_405_and_an_unknown_one_404() -> None:
    async with Playground.open(SCENARIO, http=True) as play, \
            httpx.AsyncClient(base_url=play.http_url) as http:
        assert (await http.delete("/routed/hello/Ann")).status_code == 405
        assert (await http.get("/routed/hello/Ann/more")).status_code == 404
        assert (await http.get("/elsewhere")).status_code == 404
        assert (await http.head("/routed/hello/Ann")).status_code == 200


async def test_a_path_the_server_keeps_for_itself_stops_the_bots_start() -> None:
    table = RouteTable(("/webhook/", "/metrics"))

    async def handler(*_: object) -> None:
        raise AssertionError

    routes = BotRoutes("one", [PackageRoute.of("GET", "/metrics/extra", handler)],  # type: ignore[arg-type]
                       None, None, None, None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"/metrics/extra is the server's own"):
        table.replace("one", routes)


def test_two_bots_cannot_serve_the_same_path_and_method() -> None:
    async def handler(*_: object) -> None:
        raise AssertionError

    def bot(name: str, method: str, path: str) -> BotRoutes:
        return BotRoutes(name, [PackageRoute.of(method, path, handler)],  # type: ignore[arg-type]
                         None, None, None, None)  # type: ignore[arg-type]

    table = RouteTable()
    table.replace("desk", bot("desk", "GET", "/admin/{page}"))
    table.replace("shop", bot("shop", "POST", "/admin/{page}"))  # another method: fine
    with pytest.raises(ConfigError, match=r"\* /admin/\{page\} is already served by "
                                          r"bot desk"):
        table.replace("other", bot("other", "*", "/admin/{page}"))
    table.replace("desk", bot("desk", "GET", "/admin/{page}"))  # its own new version: fine
    table.drop("desk")
    table.replace("other", bot("other", "GET", "/admin/{page}"))
    assert table.served() == ["POST /admin/{page} (shop)", "GET /admin/{page} (other)"]


@pytest.mark.parametrize(("path", "problem"), [
    ("admin", "a path starts with '/'"),
    ("/admin/{id}/{id}", "{id} appears twice"),
    ("/admin/{id", "is not a plain path"),
    ("/admin?x=1", "is not a plain path"),
])
def test_a_malformed_path_is_refused_with_the_reason(path: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        compile_path(path)
    assert problem in str(raised.value)


def test_a_path_parameter_matches_one_segment() -> None:
    pattern = compile_path("/api/v1/tickets/{ticket_id}/report")
    match = pattern.fullmatch("/api/v1/tickets/12/report")
    assert match is not None
    assert match.groupdict() == {"ticket_id": "12"}
    assert pattern.fullmatch("/api/v1/tickets/1/2/report") is None
    assert pattern.fullmatch("/api/v1/tickets//report") is None
