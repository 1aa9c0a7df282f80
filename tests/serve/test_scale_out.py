"""Two ``serve`` processes sharing one real redis-server behave as one bot: behind a round-robin
balancer (a small proxy on 127.0.0.1, as nginx would be) consecutive updates of one conversation
land on alternate processes, and a retried update that reaches both is handled once."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from engine.playground.botapi import SECRET_HEADER, BotApiEmulator, Chat, EmulatorServer, UserAccount
from tests.serve.test_serve import ROOT, free_port, until

CAFE = "444555:CAFE-scale-out-token"  # a bot id of its own: the session's Redis dedupes by bot id
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Balancer:
    """Forwards each webhook request to the next process in turn (or to all of them)."""

    targets: list[str]
    duplicate: bool = False
    served_by: list[int] = field(default_factory=list)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k in ("Content-Type", SECRET_HEADER)}
        chosen = range(len(self.targets)) if self.duplicate \
            else [next(self._turn) % len(self.targets)]
        statuses = []
        async with aiohttp.ClientSession() as http:
            for index in chosen:
                async with http.post(self.targets[index] + request.path, data=io.BytesIO(body),
                                     headers=headers) as reply:
                    statuses.append(reply.status)
                    self.served_by.append(index)
        return web.Response(status=statuses[0])


@dataclass
class Cluster:
    emulator: BotApiEmulator
    balancer: Balancer
    alice: UserAccount
    chat: Chat


def deploy_file(folder: Path) -> Path:
    path = folder / "DEPLOY.yaml"
    path.write_text(f"""\
public_url: ${{PUBLIC_URL}}
webhook_secret: ${{WEBHOOK_SECRET}}
redis_url: ${{REDIS_URL}}
bots:
  cafe:
    scenario: {ROOT / "scenarios" / "demo.yaml"}
    token: ${{CAFE_TOKEN}}
""", encoding="utf-8")
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory, redis_server: str
                  ) -> AsyncIterator[Cluster]:
    folder = tmp_path_factory.mktemp("scale-out")
    emulator = BotApiEmulator(allow_http_webhooks=True)
    emulator.add_bot(CAFE, "cafe_bot")
    alice = emulator.add_user("Alice", language_code="en")
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{p}" for p in ports])
    front = web.Application()
    front.router.add_post("/webhook/{bot}", balancer.forward)
    runner = web.AppRunner(front, access_log=None)
    await runner.setup()
    front_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", front_port).start()
    procs: list[asyncio.subprocess.Process] = []
    logs = [folder / f"serve-{n}.log" for n in range(2)]
    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "TELEGRAM_API_URL": server.base_url, "CAFE_TOKEN": CAFE,
               "PUBLIC_URL": f"http://127.0.0.1:{front_port}", "REDIS_URL": redis_server,
               "WEBHOOK_SECRET": "scale-out-master-secret-0123456789", "STARTUP_RETRY_SECONDS": "0"}
        try:
            for port, log in zip(ports, logs, strict=True):
                with log.open("wb") as stderr:
                    procs.append(await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "engine", "serve", str(deploy_file(folder)),
                        "--host", "127.0.0.1", "--port", str(port), cwd=ROOT, env=env,
                        stdout=asyncio.subprocess.DEVNULL, stderr=stderr))
                # the second process registers the same webhook with the same secret
                await until(lambda: any(p.returncode is not None for p in procs) or len(
                    emulator.calls_of("setWebhook")) >= len(procs), timeout=60)
                assert all(p.returncode is None for p in procs), log.read_text()
            await asyncio.sleep(0.5)  # both listen once their webhook is set
            yield Cluster(emulator, balancer, alice, emulator.private_chat(CAFE, alice))
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                await asyncio.wait_for(proc.wait(), 40)
            await runner.cleanup()
    for log in logs:
        assert "Traceback" not in log.read_text(), log.read_text()


def buttons(cluster: Cluster) -> list[str]:
    last = cluster.emulator.last_bot_message(cluster.chat)
    return [b.text for row in (last.buttons if last else []) for b in row]


async def test_both_processes_register_one_webhook_with_the_same_secret(cluster: Cluster) -> None:
    calls = cluster.emulator.calls_of("setWebhook")
    assert len({c.params["url"] for c in calls}) == 1
    assert len({c.params["secret_token"] for c in calls}) == 1


async def test_a_conversation_goes_on_whichever_process_gets_its_next_update(
        cluster: Cluster) -> None:
    emu, alice, chat = cluster.emulator, cluster.alice, cluster.chat
    start = len(cluster.balancer.served_by)
    emu.send_text(CAFE, chat, alice, "/start")
    await until(lambda: "☕ Drinks" in buttons(cluster))
    emu.click_text(CAFE, chat, alice, "☕ Drinks")
    await until(lambda: "Latte — 19,000" in buttons(cluster))
    emu.click_text(CAFE, chat, alice, "Latte — 19,000")
    await until(lambda: any("Order" in b for b in buttons(cluster)))
    emu.click_text(CAFE, chat, alice, "+")
    await until(lambda: "2" in "".join(buttons(cluster)))
    served = cluster.balancer.served_by[start:]
    assert set(served) == {0, 1}, "both processes took part"
    assert all(c.ok or "not modified" in (c.error_description or "")
               for c in emu.calls if c.method != "setWebhook")
    last = emu.last_bot_message(chat)
    assert last is not None
    assert "Latte" in (last.content or ""), "the dialog state travelled through Redis"


async def test_a_retried_update_reaching_both_processes_is_handled_once(cluster: Cluster) -> None:
    emu, alice, chat = cluster.emulator, cluster.alice, cluster.chat
    before = len(emu.bot_messages(chat, include_deleted=True))
    sends = len(emu.calls_of("sendMessage"))
    cluster.balancer.duplicate = True
    try:
        emu.send_text(CAFE, chat, alice, "/start")
        await until(lambda: len(emu.calls_of("sendMessage")) > sends)
        await asyncio.sleep(1.0)  # time for a second, duplicate answer to appear (it must not)
    finally:
        cluster.balancer.duplicate = False
    assert len(emu.calls_of("sendMessage")) == sends + 1
    assert len(emu.bot_messages(chat, include_deleted=True)) == before + 1
