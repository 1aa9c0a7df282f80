"""The web playground's JSON API (engine/playground/web/API.md) over loopback HTTP, in process:
the bots answer the page's actions, edits on disk reload them live, and malformed requests get a
4xx with one readable line. (tests/browser/ drives the same server through the page in Chromium.)"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from engine.playground.conversations.run import run_file
from engine.playground.web.hub import Hub
from engine.playground.web.routes import make_app, parse_advance
from engine.playground.web.server import is_loopback

ROOT = Path(__file__).resolve().parents[1]
Api = TestClient[Any, Any]
Open = Callable[..., Awaitable[tuple[Hub, Api]]]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for folder in ("scenarios", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
async def open_playground(project: Path) -> AsyncIterator[Open]:
    opened: list[tuple[Hub, Api]] = []

    async def start(*names: str) -> tuple[Hub, Api]:
        events: list[str] = []
        hub = await Hub.start([Path(f"scenarios/{n}.yaml") for n in names], {},
                              on_event=events.append)
        client: Api = TestClient(TestServer(make_app(hub), host="127.0.0.1"))
        await client.start_server()
        opened.append((hub, client))
        return hub, client

    yield start
    for hub, client in opened:
        await client.close()
        await hub.close()


async def ok(response: Any) -> Any:
    body = await response.json()
    assert response.status == 200, body
    assert body["ok"] is True
    return body["result"]


async def refused(response: Any, status: int) -> str:
    body = await response.json()
    assert response.status == status, body
    assert body["ok"] is False
    assert "Traceback" not in body["error"]
    return str(body["error"])


async def person(api: Api, name: str) -> dict[str, Any]:
    state = await ok(await api.get("/api/state"))
    return next(p for p in state["people"] if p["first_name"] == name)


async def texts(api: Api, bot: str, chat_id: int) -> list[str]:
    view = await ok(await api.get(f"/api/bots/{bot}/chats/{chat_id}/messages"))
    return [m.get("text") or m.get("caption") or "" for m in view["messages"] if m["from_bot"]]


async def say(api: Api, bot: str, user: int, text: str, chat_id: int | None = None) -> int:
    result = await ok(await api.post(f"/api/bots/{bot}/send",
                                     json={"chat_id": chat_id, "user_id": user, "text": text}))
    return int(result["chat_id"])


async def last_message(api: Api, bot: str, chat_id: int) -> dict[str, Any]:
    view = await ok(await api.get(f"/api/bots/{bot}/chats/{chat_id}/messages"))
    return [m for m in view["messages"] if m["from_bot"] and not m["deleted"]][-1]  # type: ignore[no-any-return]


async def press(api: Api, bot: str, user: int, chat_id: int, label: str) -> Any:
    message = await last_message(api, bot, chat_id)
    button = next(b for row in message["keyboard"] for b in row if b["text"] == label)
    return await ok(await api.post(f"/api/bots/{bot}/click", json={
        "chat_id": chat_id, "user_id": user, "message_id": message["message_id"],
        "callback_data": button["value"]}))


# ---------------------------------------------------------------------- the world


async def test_every_bot_shares_one_world_of_people_and_the_sandboxes_add_theirs(
        open_playground: Open) -> None:
    _, api = await open_playground("orders", "vin_report")
    state = await ok(await api.get("/api/state"))
    assert [b["name"] for b in state["bots"]] == ["orders", "vin_report"]
    names = [p["first_name"] for p in state["people"]]
    assert names[0] == "Alice"
    assert "Manager" in names
    manager = await person(api, "Manager")
    groups = [c for c in state["chats"] if c["type"] != "private"]
    assert [(g["bot"], g["title"]) for g in groups] == [("vin_report", "Managers")]
    assert groups[0]["members"] == [manager["id"]]
    desk = next(b for b in state["bots"] if b["name"] == "vin_report")
    assert {c["command"] for c in desk["commands"]["en"]} >= {"start", "status"}


async def test_a_first_message_opens_the_private_chat_and_returns_once_the_bot_answered(
        open_playground: Open) -> None:
    _, api = await open_playground("demo")
    alice = await person(api, "Alice")
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "en"}))
    chat_id = await say(api, "demo", alice["id"], "/start")
    assert chat_id == alice["id"]
    assert "Hello, Alice!" in (await texts(api, "demo", chat_id))[-1]
    await press(api, "demo", alice["id"], chat_id, "☕ Drinks")
    assert "Pick a drink" in (await texts(api, "demo", chat_id))[-1]
    calls = await ok(await api.get("/api/bots/demo/calls?since=0"))
    assert "sendMessage" in [c["method"] for c in calls]
    assert all(c["ok"] for c in calls)


async def test_the_locale_switch_changes_the_language_the_bot_answers_in(
        open_playground: Open) -> None:
    _, api = await open_playground("demo")
    alice = await person(api, "Alice")
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "uz"}))
    chat_id = await say(api, "demo", alice["id"], "/start")
    uz = (await texts(api, "demo", chat_id))[-1]
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "en"}))
    await say(api, "demo", alice["id"], "/start", chat_id)
    assert "Hello, Alice!" in (await texts(api, "demo", chat_id))[-1]
    assert "Hello" not in uz


async def test_the_demo_shops_panels_show_its_orders_and_the_regos_calls_made(
        open_playground: Open) -> None:
    _, api = await open_playground("orders")
    panels = await ok(await api.get("/api/bots/orders/sandbox"))
    assert [p["name"] for p in panels] == ["regos_orders", "regos_calls", "funnel"]
    assert "number" in panels[0]["columns"]
    assert {row["number"] for row in panels[0]["rows"]} == {"000001", "000002"}  # the demo's
    before = len(panels[1]["rows"])
    alice = await person(api, "Alice")
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "en"}))
    chat_id = await say(api, "orders", alice["id"], "/start")
    await press(api, "orders", alice["id"], chat_id, "🛍 Catalog")
    calls = (await ok(await api.get("/api/bots/orders/sandbox")))[1]["rows"]
    assert len(calls) > before
    assert any(row["method"].startswith("ItemGroup") for row in calls[before:])



async def test_the_funnel_panel_counts_who_entered_each_window_and_where_they_went(
        open_playground: Open) -> None:
    _, api = await open_playground("orders")
    alice = await person(api, "Alice")
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "en"}))
    chat_id = await say(api, "orders", alice["id"], "/start")
    await press(api, "orders", alice["id"], chat_id, "🛍 Catalog")
    panels = await ok(await api.get("/api/bots/orders/sandbox"))
    funnel = {row["window"]: row for row in next(p for p in panels if p["name"] == "funnel")["rows"]}
    assert funnel["main.home"]["entered"] == 1
    assert funnel["main.home"]["next"] == "catalog.groups (1)"
    assert funnel["catalog.groups"]["stopped_here"] == 1


async def test_move_time_runs_the_due_jobs_and_says_which(open_playground: Open) -> None:
    _, api = await open_playground("vin_report")
    result = await ok(await api.post("/api/time", json={"bot": "vin_report", "advance": "20m"}))
    assert result["summary"].startswith("moved 20m: ")
    assert result["ran"], "the desk's SLA job is due after 20 minutes"
    assert parse_advance("90s").total_seconds() == 90
    assert parse_advance("1d").total_seconds() == 86400


async def test_the_flow_graph_is_svg_and_names_the_window_a_person_is_on(
        open_playground: Open) -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is missing: make system installs it", pytrace=False)
    _, api = await open_playground("demo")
    alice = await person(api, "Alice")
    chat_id = await say(api, "demo", alice["id"], "/start")
    await press(api, "demo", alice["id"], chat_id, (await last_message(api, "demo", chat_id))
                ["keyboard"][0][0]["text"])
    graph = await ok(await api.get("/api/bots/demo/graph"))
    assert graph["svg"].lstrip().startswith(("<?xml", "<svg"))
    assert "<title>main.drinks</title>" in graph["svg"]
    assert graph["here"] == ["main.drinks"]


async def test_what_was_done_in_the_page_saves_as_a_conversation_test_that_passes(
        open_playground: Open, project: Path) -> None:
    _, api = await open_playground("demo")
    alice = await person(api, "Alice")
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "en"}))
    chat_id = await say(api, "demo", alice["id"], "/start")
    await press(api, "demo", alice["id"], chat_id, "☕ Drinks")
    await press(api, "demo", alice["id"], chat_id, "Latte — 19,000")
    recorded = await ok(await api.get("/api/bots/demo/recording"))
    assert recorded["steps"] == 3
    assert recorded["file_name"] == "demo_playground.yaml"
    test = yaml.safe_load(recorded["yaml"])
    assert test["scenario"] == "demo"
    assert test["locale"] == "en"
    assert [next(iter(step)) for step in test["steps"]] == ["send", "click", "click"]
    assert test["steps"][1] == {"click": "☕ Drinks", "expect": {"text_contains": "Drinks"}}
    file = project / "tests" / "conversations" / "demo" / recorded["file_name"]
    file.parent.mkdir(parents=True)
    file.write_text(recorded["yaml"], encoding="utf-8")
    outcome = await run_file(file)
    assert outcome.passed, outcome.report
    assert outcome.steps == 3
    await ok(await api.post("/api/bots/demo/recording/clear"))
    assert (await ok(await api.get("/api/bots/demo/recording")))["steps"] == 0


# ---------------------------------------------------------------------- live reload


async def test_a_label_edit_reaches_the_open_chat_without_a_restart_and_only_its_bot_reloads(
        open_playground: Open, project: Path) -> None:
    hub, api = await open_playground("demo", "vin_report")
    alice = await person(api, "Alice")
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "en"}))
    chat_id = await say(api, "demo", alice["id"], "/start")
    labels = project / "templates" / "demo" / "en" / "labels.yaml"
    text = labels.read_text(encoding="utf-8")
    old = next(b["text"] for row in (await last_message(api, "demo", chat_id))["keyboard"]
               for b in row)
    await press(api, "demo", alice["id"], chat_id, old)  # on to the drinks (version 1 counts)
    labels.write_text(text.replace(old.split(" ", 1)[1], "Hot drinks", 1), encoding="utf-8")
    await say(api, "demo", alice["id"], "/start", chat_id)
    labels_now = [b["text"] for row in (await last_message(api, "demo", chat_id))["keyboard"]
                  for b in row]
    assert any("Hot drinks" in label for label in labels_now)
    assert hub.bots["demo"].version == 2
    assert hub.bots["vin_report"].version == 1, "the desk's files did not change"
    panels = await ok(await api.get("/api/bots/demo/sandbox"))
    funnel = next(p for p in panels if p["name"] == "funnel")["rows"]
    assert {r["window"]: r["entered"] for r in funnel} == {"main.home": 2, "main.drinks": 1}, \
        "the counts of version 1 are kept, and version 2 adds to them"
    assert (await ok(await api.get("/api/reload")))["diagnostics"] == []


async def test_a_broken_edit_is_shown_with_its_position_while_the_old_version_answers(
        open_playground: Open, project: Path) -> None:
    hub, api = await open_playground("demo")
    alice = await person(api, "Alice")
    scenario = project / "scenarios" / "demo.yaml"
    good = scenario.read_text(encoding="utf-8")
    scenario.write_text(good.replace("        text: home\n", "        text: [home\n", 1),
                        encoding="utf-8")
    await hub.catch_up()
    status = await ok(await api.get("/api/reload"))
    assert status["diagnostics"], "the broken file is reported"
    first = status["diagnostics"][0]
    assert first["file"].endswith("demo.yaml")
    assert first["line"] > 1
    assert first["col"] >= 1
    chat_id = await say(api, "demo", alice["id"], "/start")
    assert (await texts(api, "demo", chat_id)), "version 1 still answers"
    assert hub.bots["demo"].version == 1
    scenario.write_text(good, encoding="utf-8")
    await hub.catch_up()
    assert (await ok(await api.get("/api/reload")))["diagnostics"] == []
    assert hub.bots["demo"].version == 2


async def test_a_window_removed_by_an_edit_lands_its_users_on_the_menu_with_a_notice(
        open_playground: Open, project: Path) -> None:
    hub, api = await open_playground("demo")
    alice = await person(api, "Alice")
    await ok(await api.post(f"/api/people/{alice['id']}", json={"language_code": "en"}))
    chat_id = await say(api, "demo", alice["id"], "/start")
    await press(api, "demo", alice["id"], chat_id, "☕ Drinks")
    on_drinks = await last_message(api, "demo", chat_id)
    scenario = project / "scenarios" / "demo.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace("      drinks:\n", "      beverages:\n", 1)
                        .replace("go: drinks", "go: beverages"), encoding="utf-8")
    await hub.catch_up()
    assert hub.bots["demo"].version == 2
    button = on_drinks["keyboard"][0][0]
    result = await ok(await api.post("/api/bots/demo/click", json={
        "chat_id": chat_id, "user_id": alice["id"], "message_id": on_drinks["message_id"],
        "callback_data": button["value"]}))
    assert result["answer"]
    assert "outdated" in result["answer"]["text"]
    assert "Hello, Alice!" in (await texts(api, "demo", chat_id))[-1]


async def test_a_python_change_is_listed_as_needing_a_restart(open_playground: Open) -> None:
    hub, api = await open_playground("demo")
    assert hub.python_files is not None
    assert (await ok(await api.get("/api/reload")))["restart_needed"] == []
    action = next(p for p in hub.python_files.last.stamps if p.endswith("/actions/demo/menu.py"))
    hub.python_files.last.stamps[action] = (0, 0)  # as if it was saved since the start
    for _ in range(40):
        status = await ok(await api.get("/api/reload"))
        if status["restart_needed"]:
            break
        await asyncio.sleep(0.1)
    assert status["restart_needed"] == [action]


# ---------------------------------------------------------------------- malformed requests


MALFORMED: list[tuple[str, str, Any, int, str]] = [
    ("post", "/api/bots/demo/send", "not json", 400, "JSON"),
    ("post", "/api/bots/demo/send", [1, 2], 400, "object"),
    ("post", "/api/bots/demo/send", {"text": "hi"}, 400, "user_id"),
    ("post", "/api/bots/demo/send", {"user_id": "x", "text": "hi"}, 400, "integer"),
    ("post", "/api/bots/demo/send", {"user_id": 1, "text": "hi"}, 404, "no person"),
    ("post", "/api/bots/nobot/send", {"user_id": 1, "text": "hi"}, 404, "no bot 'nobot'"),
    ("post", "/api/bots/demo/send", {"user_id": "ALICE", "text": ""}, 400, "empty"),
    ("post", "/api/bots/demo/send", {"user_id": "ALICE", "text": "x" * 5000}, 400, "4096"),
    ("post", "/api/bots/demo/click", {"user_id": "ALICE", "message_id": 99, "callback_data": "x"},
     400, "no message 99"),
    ("post", "/api/bots/demo/location", {"user_id": "ALICE", "latitude": 91, "longitude": 0},
     400, "between"),
    ("post", "/api/bots/demo/document", {"user_id": "ALICE", "file_name": "a.pdf",
                                         "data_base64": "%%%"}, 400, "base64"),
    ("post", "/api/bots/demo/document", {"user_id": "ALICE", "file_name": "big.pdf",
                                         "data_base64": base64.b64encode(b"0" * (20 * 2**20 + 1))
                                         .decode()}, 400, "20 MB"),
    ("post", "/api/people/ALICE", {"language_code": "english!"}, 400, "language code"),
    ("post", "/api/people/ALICE", {"phone": "call me"}, 400, "digits"),
    ("post", "/api/people", {"first_name": ""}, 400, "1 to 64"),
    ("post", "/api/time", {"bot": "demo", "advance": "soon"}, 400, "like 90s"),
    ("post", "/api/time", {"bot": "demo", "advance": "400d"}, 400, "30 days"),
    ("get", "/api/bots/demo/chats/12345/messages", None, 404, "no chat 12345"),
    ("get", "/api/bots/demo/calls?since=many", None, 400, "integer"),
    ("get", "/api/files/NOPE", None, 404, "no such file"),
    ("get", "/api/nothing/here", None, 404, "no such API path"),
    ("post", "/api/bots/demo/fly", {}, 404, "no such API path"),
]


async def test_a_malformed_request_gets_a_4xx_with_one_readable_line_and_changes_nothing(
        open_playground: Open) -> None:
    _, api = await open_playground("demo")
    alice = await person(api, "Alice")
    for method, path, body, status, says in MALFORMED:
        path = path.replace("ALICE", str(alice["id"]))
        if isinstance(body, dict):
            body = {k: (alice["id"] if v == "ALICE" else v) for k, v in body.items()}
        if method == "get":
            response = await api.get(path)
        elif isinstance(body, str):
            response = await api.post(path, data=body,
                                      headers={"Content-Type": "application/json"})
        else:  # a large body goes as a stream (aiohttp's client warns about big raw bytes)
            response = await api.post(path, data=io.BytesIO(json.dumps(body).encode()),
                                      headers={"Content-Type": "application/json"})
        error = await refused(response, status)
        assert says in error, (method, path, error)
    calls = await ok(await api.get("/api/bots/demo/calls?since=0"))
    assert [c["method"] for c in calls if c["method"].startswith(("send", "edit"))] == []


def test_only_loopback_addresses_count_as_this_computer() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.5")
