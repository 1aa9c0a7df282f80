"""``python -m engine serve DEPLOY.yaml``: a real process hosting two bots (the café demo and the
VIN desk) behind webhooks, against the Bot API emulator in webhook mode on 127.0.0.1.

One ``serve`` process for the module (starting one costs seconds); each test leaves it as it
found it. Its graceful stop is checked when the module ends.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from engine.playground.botapi import SECRET_HEADER, BotApiEmulator, Chat, EmulatorServer, UserAccount

ROOT = Path(__file__).resolve().parents[2]
CAFE = "111111:CAFE-serve-test-token"
DESK = "222222:DESK-serve-test-token"
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Deployment:
    emulator: BotApiEmulator
    base: str
    alice: UserAccount
    cafe_chat: Chat
    desk_chat: Chat
    http: aiohttp.ClientSession
    #: a test sent forged secrets: the process's log must show them refused (checked at its end)
    forged: bool = False

    async def post(self, bot: str, body: bytes, secret: str | None) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with self.http.post(f"{self.base}/webhook/{bot}", data=io.BytesIO(body),
                                  headers=headers) as r:
            return r.status

    def secret(self, token: str) -> str:
        hook = self.emulator.bots[token].webhook
        assert hook is not None
        return str(hook["secret_token"])

    async def metrics(self) -> str:
        async with self.http.get(f"{self.base}/metrics") as reply:
            assert reply.status == 200
            return await reply.text()


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text ``text`` (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def until(condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def deploy_file(folder: Path, group_id: int, manager_id: int) -> Path:
    path = folder / "DEPLOY.yaml"
    path.write_text(f"""\
bots:
  cafe:
    scenario: {ROOT / "scenarios" / "demo.yaml"}
    token: ${{CAFE_TOKEN}}
  desk:
    scenario: {ROOT / "scenarios" / "vin_report.yaml"}
    token: ${{DESK_TOKEN}}
    settings:
      MANAGER_CHAT_ID: {group_id}
      MANAGER_IDS: "{manager_id}"
      DATABASE_URL: sqlite+aiosqlite:///{folder / "desk.db"}
""", encoding="utf-8")
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    folder = tmp_path_factory.mktemp("serve")
    emulator = BotApiEmulator(allow_http_webhooks=True)
    emulator.add_bot(CAFE, "cafe_bot")
    emulator.add_bot(DESK, "desk_bot")
    alice = emulator.add_user("Alice", language_code="en")
    manager = emulator.add_user("Manager", language_code="en")
    group = emulator.create_group("Managers", members=[manager], bots=[DESK])
    port = free_port()
    log = folder / "serve.log"
    async with EmulatorServer(emulator) as server, aiohttp.ClientSession() as http:
        env = {**os.environ, "TELEGRAM_API_URL": server.base_url, "CAFE_TOKEN": CAFE,
               "DESK_TOKEN": DESK, "PUBLIC_URL": f"http://127.0.0.1:{port}",
               "STARTUP_RETRY_SECONDS": "0", "LOG_FORMAT": "json"}
        env.pop("REDIS_URL", None)
        with log.open("wb") as stderr:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "engine", "serve", str(deploy_file(folder, group.id, manager.id)),
                "--host", "127.0.0.1", "--port", str(port), cwd=ROOT, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
        try:
            await until(lambda: proc.returncode is not None or all(
                emulator.bots[t].webhook for t in (CAFE, DESK)), timeout=60)
            assert proc.returncode is None, log.read_text()
            deployment = Deployment(emulator, f"http://127.0.0.1:{port}", alice,
                                    emulator.private_chat(CAFE, alice),
                                    emulator.private_chat(DESK, alice), http)
            yield deployment
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 40)
    output = log.read_text()
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert CAFE not in output
    assert DESK not in output
    assert all(str(emulator.bots[t].webhook["secret_token"]) not in output  # type: ignore[index]
               for t in (CAFE, DESK))
    entries = [json.loads(line) for line in output.splitlines() if line.strip()]
    if deployment.forged:  # (not when -k selected other tests only)
        assert any(e.get("bot") == "cafe" and "refused (401, secret)" in e["message"]
                   for e in entries)
    # a graceful stop leaves the webhooks registered for the restart
    assert emulator.bots[CAFE].webhook is not None
    assert not emulator.calls_of("deleteWebhook")


async def test_each_bot_registers_its_webhook_with_its_own_secret_and_update_types(
    deployment: Deployment,
) -> None:
    hooks = {t: deployment.emulator.bots[t].webhook or {} for t in (CAFE, DESK)}
    assert hooks[CAFE]["url"] == f"{deployment.base}/webhook/cafe"
    assert hooks[DESK]["url"] == f"{deployment.base}/webhook/desk"
    assert len(deployment.secret(CAFE)) >= 32
    assert deployment.secret(CAFE) != deployment.secret(DESK)
    for hook in hooks.values():
        assert {"message", "callback_query"} <= set(hook["allowed_updates"])
        assert "inline_query" not in hook["allowed_updates"]


async def test_start_reaches_each_bot_through_its_webhook_and_it_answers(
    deployment: Deployment,
) -> None:
    emulator, alice = deployment.emulator, deployment.alice
    emulator.send_text(CAFE, deployment.cafe_chat, alice, "/start")
    emulator.send_text(DESK, deployment.desk_chat, alice, "/start")
    await until(lambda: emulator.last_bot_message(deployment.cafe_chat) is not None
                and emulator.last_bot_message(deployment.desk_chat) is not None)
    cafe = emulator.last_bot_message(deployment.cafe_chat)
    desk = emulator.last_bot_message(deployment.desk_chat)
    assert cafe is not None
    assert "Hello, Alice!" in (cafe.text or "")
    assert desk is not None
    assert "VIN reports" in (desk.text or "")
    assert all(a.status == 200 for a in emulator.webhooks.attempts)


def bot_messages(deployment: Deployment) -> int:
    """How many messages the café bot has sent Alice (deleted ones included)."""
    chat = deployment.cafe_chat
    return len(deployment.emulator.bot_messages(chat, include_deleted=True))


async def settled(deployment: Deployment) -> None:
    """Wait until the café bot has finished every update the emulator delivered to it.

    A reply can arrive before its update is done (a window's keyboard follows its text), and an
    earlier test's update may still be running: a click must not land on a message about to be
    replaced.
    """
    async def done() -> bool:
        delivered = sum(1 for a in deployment.emulator.webhooks.attempts
                        if a.token == CAFE and a.ok)
        handled = metric(await deployment.metrics(), "tgflow_update_handling_seconds_count",
                         bot="cafe")
        return handled >= delivered

    deadline = asyncio.get_running_loop().time() + 20
    while not await done():
        assert asyncio.get_running_loop().time() < deadline, "the café bot is still busy"
        await asyncio.sleep(0.05)


def start_update(deployment: Deployment, update_id: int) -> bytes:
    alice = deployment.alice.to_json()
    return json.dumps({"update_id": update_id, "message": {
        "message_id": 90_000 + update_id % 1000, "date": 1_700_000_000, "from": alice,
        "chat": {"id": alice["id"], "type": "private", "first_name": "Alice"},
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }}).encode()


async def test_a_forged_or_missing_secret_is_refused_and_counted(deployment: Deployment) -> None:
    before = await deployment.metrics()
    sent = bot_messages(deployment)
    body = start_update(deployment, 900_001)
    deployment.forged = True
    assert await deployment.post("cafe", body, "forged-secret") == 401
    assert await deployment.post("cafe", body, None) == 401
    assert await deployment.post("cafe", body, deployment.secret(DESK)) == 401  # another bot's
    assert await deployment.post("cafe", body, "sécret-ünïcode") == 401
    after = await deployment.metrics()
    refused = metric(after, "tgflow_webhook_refused_total", bot="cafe", reason="secret")
    assert refused - metric(before, "tgflow_webhook_refused_total", bot="cafe", reason="secret") == 4
    await asyncio.sleep(0.5)
    assert bot_messages(deployment) == sent


async def test_a_duplicate_update_is_handled_once(deployment: Deployment) -> None:
    emulator, chat = deployment.emulator, deployment.cafe_chat
    before = bot_messages(deployment)
    update = emulator.send_text(CAFE, chat, deployment.alice, "/start")
    await until(lambda: bot_messages(deployment) > before)
    await asyncio.sleep(0.5)
    answered = bot_messages(deployment)
    handled = metric(await deployment.metrics(), "tgflow_updates_total", bot="cafe", type="message")
    retry = json.dumps(update).encode()
    assert await deployment.post("cafe", retry, deployment.secret(CAFE)) == 200
    assert await deployment.post("cafe", retry, deployment.secret(CAFE)) == 200
    await asyncio.sleep(1)
    assert bot_messages(deployment) == answered
    after = metric(await deployment.metrics(), "tgflow_updates_total", bot="cafe", type="message")
    assert after == handled


@pytest.mark.parametrize(("body", "status", "reason"), [
    (b"{not json", 400, "not_json"),
    (b"[" * 200_000 + b"]" * 200_000, 400, "not_json"),  # nested past the parser's depth
    (b'{"update_id": "soon", "message": 5}', 400, "not_update"),
    (b"[]", 400, "not_update"),
    (b'{"update_id": 1, "padding": "' + b"x" * (1024 * 1024) + b'"}', 413, "too_large"),
])
async def test_a_body_that_is_not_an_update_is_refused(
    deployment: Deployment, body: bytes, status: int, reason: str,
) -> None:
    before = await deployment.metrics()
    assert await deployment.post("desk", body, deployment.secret(DESK)) == status
    after = await deployment.metrics()
    counted = metric(after, "tgflow_webhook_refused_total", bot="desk", reason=reason)
    assert counted - metric(before, "tgflow_webhook_refused_total", bot="desk", reason=reason) == 1


async def test_an_unknown_bot_path_is_not_found_and_counted(deployment: Deployment) -> None:
    before = await deployment.metrics()
    assert await deployment.post("nobody", b"{}", "x") == 404
    after = await deployment.metrics()
    assert metric(after, "tgflow_webhook_refused_total", bot="-", reason="unknown_bot") - \
        metric(before, "tgflow_webhook_refused_total", bot="-", reason="unknown_bot") == 1


async def test_health_readiness_and_metrics_answer(deployment: Deployment) -> None:
    emulator = deployment.emulator
    emulator.send_text(CAFE, deployment.cafe_chat, deployment.alice, "/start")
    async with deployment.http.get(f"{deployment.base}/healthz") as reply:
        assert reply.status == 200
    async with deployment.http.get(f"{deployment.base}/readyz") as reply:
        assert reply.status == 200
        ready: dict[str, Any] = await reply.json()
    assert ready["ready"] is True
    assert ready["bots"] == {"cafe": {"status": "running"},
                             "desk": {"status": "running", "database": "ok"}}

    async def answered() -> bool:
        text = await deployment.metrics()
        return metric(text, "tgflow_updates_total", bot="cafe", type="message") >= 1 and \
            metric(text, "tgflow_bot_api_calls_total", bot="cafe", method="sendMessage") >= 1

    for _ in range(100):
        if await answered():
            break
        await asyncio.sleep(0.1)
    text = await deployment.metrics()
    assert metric(text, "tgflow_updates_total", bot="cafe", type="message") >= 1
    assert metric(text, "tgflow_bot_api_calls_total", bot="cafe", method="sendMessage") >= 1
    assert metric(text, "tgflow_bot_api_calls_total", bot="desk", method="setWebhook") == 1
    assert metric(text, "tgflow_update_handling_seconds_count", bot="cafe") >= 1
    assert "tgflow_bot_api_retry_after_total" in text or "tgflow_bot_api_retry_after" in text


async def test_metrics_count_who_entered_each_window_and_where_from(deployment: Deployment) -> None:
    emulator, chat, alice = deployment.emulator, deployment.cafe_chat, deployment.alice
    sent = bot_messages(deployment)
    emulator.send_text(CAFE, chat, alice, "/start")
    await until(lambda: bot_messages(deployment) > sent)
    await settled(deployment)
    before = await deployment.metrics()
    emulator.click_text(CAFE, chat, alice, "☕ Drinks")
    labels = {"bot": "cafe", "window": "main.drinks"}
    await until(lambda: "Pick" in (emulator.bot_messages(chat)[-1].content or ""))
    after = await deployment.metrics()
    assert metric(after, "tgflow_window_entries_total", **labels) == \
        metric(before, "tgflow_window_entries_total", **labels) + 1
    moved = {"bot": "cafe", "window": "main.home", "to": "main.drinks"}
    assert metric(after, "tgflow_window_moves_total", **moved) == \
        metric(before, "tgflow_window_moves_total", **moved) + 1
    emulator.send_text(CAFE, chat, alice, "/start")  # leave Alice at the menu
    await until(lambda: "Pick" not in (emulator.bot_messages(chat)[-1].content or ""))
    await settled(deployment)


async def test_metrics_include_what_the_desk_package_offers(deployment: Deployment) -> None:
    """The VIN desk's metrics (its package's hook) appear with the bot's label."""
    text = await deployment.metrics()
    for status in ("NEW", "TAKEN", "DONE", "CANCELED"):
        assert f'tgflow_tickets{{bot="desk",status="{status}"}}' in text
    assert metric(text, "tgflow_tickets_sla_breaches", bot="desk", status="NEW") == 0
    assert "# TYPE tgflow_tickets_delivery_failures_total counter" in text
    assert 'bot="cafe",status=' not in text  # the cafe has no desk


async def test_the_desks_admin_panel_and_api_are_served_beside_the_webhooks(
        deployment: Deployment) -> None:
    """What the desk's package registers (pkg.add_route) is served by the real serve process."""
    async with deployment.http.get(f"{deployment.base}/api/v1/openapi.json") as reply:
        assert reply.status == 200
        assert "/api/v1/tickets" in (await reply.json())["paths"]
    async with deployment.http.get(f"{deployment.base}/api/v1/tickets",
                                   headers={"X-Customer-Id": "5"}) as reply:
        assert reply.status == 401  # no API_KEYS in this deployment: closed
    async with deployment.http.get(f"{deployment.base}/admin/login",
                                   headers={"Accept-Language": "en"}) as reply:
        assert reply.status == 200
        assert "Log in" in await reply.text()
    async with deployment.http.get(f"{deployment.base}/admin/tickets", allow_redirects=False) as reply:
        assert reply.status == 303
