"""``python -m engine shell scenarios/vin_report.yaml``: one person plays the customer and a manager
on a throwaway SQLite database, with no token, database or group configured."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """\
WDBEA30D3HA391172
:user Manager
:group Managers
1
:reply 1 :file scenarios/samples/report.pdf
:wait 20m
:user Alice
:private
/status
:quit
"""


ADDRESSING = """\
WDBEA30D3HA391172
1HGBH41JXMN109186
:group Managers
:user Manager
:group Managers
#1.1
1
#1.9
#7.1
:reply 1 :file scenarios/samples/report.pdf
:chats
:user Alice
:join Managers
:chats
:quit
"""


async def test_the_shell_presses_any_message_keeps_memberships_and_saves_files(
        tmp_path: Path) -> None:
    from engine.playground.shell import run_shell
    from engine.scenario.pipeline import load_bundle

    bundle, diagnostics = load_bundle(ROOT / "scenarios" / "vin_report.yaml")
    assert bundle is not None, diagnostics
    script = tmp_path / "script.txt"
    script.write_text(ADDRESSING, encoding="utf-8")
    files = tmp_path / "files"
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)  # the script names scenarios/samples/report.pdf
    try:
        code = await run_shell(bundle, {"SHELL_LANG": "ru"}, script=str(script), stdout=out,
                               files=str(files))
    finally:
        os.chdir(cwd)
    text = out.getvalue()
    assert code == 0
    assert f"Photos and documents the bot sends are saved in {files}" in text
    lines = ADDRESSING.splitlines()
    parts = text.split("\n> ")[1:]  # what each script line printed, after its echo
    assert [p.split("\n", 1)[0] for p in parts] == lines

    def step(line: str, nth: int = 1) -> str:
        return [p for p in parts if p.split("\n", 1)[0] == line][nth - 1]

    # a customer cannot wander into the managers' group by switching chats
    assert "error: Alice is not a member of 'Managers' (:join Managers joins it)" in \
        step(":group Managers")
    assert "(now: Manager in the group 'Managers')" in text
    # ticket 1's card is the older one: #1.1 reaches its Take; N is still the newest message
    assert "(pressed 🙋 Взять on #1)" in step("#1.1")
    assert "(toast) Заявка №1 ваша" in step("#1.1")
    assert "#1 (edited) 📄 Заявка №1" in step("#1.1")
    assert "(pressed 🙋 Взять on #2)" in step("1")
    assert "(toast) Заявка №2 ваша" in step("1")
    assert "error: no button 9: message #1 has buttons 1-2" in step("#1.9")
    assert "error: no message #7 with buttons in this chat" in step("#7.1")
    # the report reached Alice and was saved where the line says
    delivered = step(":reply 1 :file scenarios/samples/report.pdf")
    saved = files / "1-report.pdf"
    assert re.search(rf"-> \[Alice, private\] #\d+ \[document: {re.escape(str(saved))}, 605 B\]",
                     delivered), delivered
    assert saved.read_bytes() == (ROOT / "scenarios" / "samples" / "report.pdf").read_bytes()
    before, after = text.split("> :join Managers", 1)
    assert "joined" not in before  # switching users and chats changed no membership
    assert "* Managers  (2 members, id" in step(":chats")
    assert "(Alice is not a member of 'Managers'; now: Alice in the private chat with the bot)" \
        in step(":user Alice")
    assert "(Alice joined 'Managers')" in after
    assert "(now: Alice in the group 'Managers')" in after
    assert "* Managers  (3 members, id" in after
    assert "!! bot called" not in text


def test_the_shell_plays_customer_and_manager() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "MANAGER_CHAT_ID", "MANAGER_IDS", "REDIS_URL")}
    env["SHELL_LANG"] = "ru"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "shell", "scenarios/vin_report.yaml"],
        input=SCRIPT, capture_output=True, text=True, timeout=90, cwd=ROOT, env=env, check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "The managers' group is 'Managers'" in out
    assert "Заявка №1 принята" in out
    assert "🙋 Взять" in out
    assert "В работе: Manager" in out
    assert re.search(r"\[document: \S+/tgflow-shell-\w+/1-report\.pdf, ", out)
    assert "Отчёт по заявке №1 доставлен клиенту ✅" in out
    assert "background jobs run: sla" in out
    assert "№1 · WDBEA30D3HA391172 · ✅ отчёт отправлен" in out
    assert "!! bot called" not in out  # nothing the emulator refused


async def test_run_stops_gracefully_on_sigterm_with_the_update_in_flight_finished(
        tmp_path: Path) -> None:
    import asyncio
    import signal

    from actions.tickets.store import create_store
    from engine.playground.botapi import BotApiEmulator, EmulatorServer

    emulator = BotApiEmulator()
    bot = emulator.add_bot("654321:VIN-RUN", username="vin_bot")
    alice = emulator.add_user("Alice", language_code="ru")
    ann = emulator.add_user("Ann", language_code="ru")
    group = emulator.create_group("Managers", members=[ann], bots=[bot])
    chat = emulator.private_chat(bot, alice)
    database = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    async with EmulatorServer(emulator) as server:
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(BOT_TOKEN="654321:VIN-RUN", TELEGRAM_API_URL=server.base_url,
                   DATABASE_URL=database, MANAGER_CHAT_ID=str(group.id), MANAGER_IDS=str(ann.id))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "engine", "run", "scenarios/vin_report.yaml", cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for _ in range(400):
                if emulator.calls_of("getUpdates"):
                    break
                await asyncio.sleep(0.05)
            emulator.send_text(bot, chat, alice, "WDBEA30D3HA391172")
            for _ in range(400):  # the card is out: the update is being handled right now
                if emulator.bot_messages(group):
                    break
                await asyncio.sleep(0.01)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert "Заявка №1 принята" in (emulator.last_bot_message(chat).content or "")  # type: ignore[union-attr]
    store = create_store(database)
    try:
        ticket = await store.get(1)
    finally:
        await store.close()
    assert ticket is not None
    assert ticket.card_message_id == emulator.bot_messages(group)[0].message_id
