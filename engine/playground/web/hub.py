"""The playground's world: every bot (a :class:`LiveBot`) in one Bot API emulator, the people
who talk to them, what the person at the page does, and the live reload loop.

People are one list across bots (one emulator), so a person keeps their identity when the page
switches bots. Each action turns into the update Telegram would send and returns once the bot
has handled it, so the page can re-read the chat right away.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic
from engine.errors import EngineError, ScenarioError
from engine.playground.botapi import BotApiEmulator, Chat, EmulatorError, UserAccount
from engine.playground.shell_session import own_phone
from engine.playground.web.live import LiveBot
from engine.playground.web.recording import Recorder
from engine.playground.web.watch import Watched
from engine.routes import RouteTable
from engine.scenario.pipeline import load_bundle

__all__ = ["DEFAULT_PERSON", "Hub", "NotFound", "PlaygroundError"]

log = logging.getLogger("engine.playground")
DEFAULT_PERSON = "Alice"
SOURCE_SUFFIXES = (".yaml", ".yml", ".j2", ".jinja", ".html", ".txt", ".md", ".json")
POLL_SECONDS = 0.25
PYTHON_POLL_ROUNDS = 4  # Python files are looked at every 4th round (once a second)
ANSWER_WAIT = 1.0


class PlaygroundError(EngineError):
    """A request the playground cannot carry out (answered 400 with this one line)."""


class NotFound(PlaygroundError):
    """A bot, person or chat the request names does not exist (answered 404)."""


@dataclass
class Person:
    account: UserAccount
    phone: str


@dataclass
class Hub:
    emulator: BotApiEmulator
    bots: dict[str, LiveBot]
    people: dict[int, Person] = field(default_factory=dict)
    recorders: dict[str, Recorder] = field(default_factory=dict)  # by bot name
    restart_needed: list[str] = field(default_factory=list)
    on_event: Callable[[str], None] = print
    source_files: list[Watched] = field(default_factory=list)  # scenarios and templates
    python_files: Watched | None = None  # actions' and the engine's code
    #: what the bots' packages serve beside the page (the VIN desk's /admin and /api/v1)
    routes: RouteTable = field(default_factory=lambda: RouteTable(("/api/",), allowed=("/api/v",)))
    _task: asyncio.Task[None] | None = None
    _reloading: asyncio.Lock = field(default_factory=asyncio.Lock)

    # ------------------------------------------------------------------ start and stop

    @classmethod
    async def start(cls, paths: Sequence[Path], environ: Mapping[str, str],
                    on_event: Callable[[str], None] = print) -> Hub:
        """Load every scenario (a broken one stops the start with its diagnostics), start
        its bot, create the default person."""
        emulator = BotApiEmulator()
        hub = cls(emulator, {}, on_event=on_event)
        try:
            for number, path in enumerate(paths, start=1):
                bundle, diagnostics = load_bundle(path)
                if bundle is None:
                    raise ScenarioError(diagnostics)
                if bundle.scenario.scenario in hub.bots:
                    raise PlaygroundError(f"{path}: a second scenario named "
                                          f"{bundle.scenario.scenario!r}")
                token = f"{7_000_000 + number}:PLAYGROUND-{bundle.scenario.scenario}"
                hub.bots[bundle.scenario.scenario] = await LiveBot.start(
                    path, bundle, emulator, token, environ, hub.routes)
                hub.recorders[bundle.scenario.scenario] = Recorder()
            hub.add_person(DEFAULT_PERSON, "ru")
            for user in emulator.users.values():  # people the sandboxes made (a manager)
                hub._adopt(user)
            hub._watch()
        except BaseException:
            await hub.close()
            raise
        return hub

    def _watch(self) -> None:
        sources: set[Path] = set()
        python: set[Path] = {Path(__file__).resolve().parents[2]}  # engine/
        for bot in self.bots.values():
            root = bot.bundle.root
            sources.update({bot.path.resolve().parent, root / "templates"})
            for dotted in bot.bundle.scenario.actions.values():
                spec = importlib.util.find_spec(dotted.split(".")[0])
                if spec is not None and spec.origin:
                    python.add(Path(spec.origin).parent)
        self.source_files = [Watched(sorted(sources), SOURCE_SUFFIXES)]
        self.python_files = Watched(sorted(python), (".py",))
        self._task = asyncio.create_task(self._watch_loop(), name="playground-watch")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for bot in reversed(list(self.bots.values())):
            try:
                await bot.close()
            except Exception as exc:  # one bot's resources must not keep the others open
                log.warning("%s did not close cleanly: %s", bot.name, exc)

    # ------------------------------------------------------------------ live reload

    async def _watch_loop(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(POLL_SECONDS)
            rounds += 1
            await self.catch_up()
            if self.python_files is not None and rounds % PYTHON_POLL_ROUNDS == 0:
                for path in await asyncio.to_thread(self.python_files.poll):
                    if path not in self.restart_needed:
                        self.restart_needed.append(path)
                        self.on_event(f"{path} changed: Python changes need a restart")

    async def catch_up(self) -> None:
        """Reload the bots now if a source file changed since the last look (also called
        before each action of the page, so what a person does right after saving a file
        meets the new version)."""
        async with self._reloading:
            changed = [p for w in self.source_files for p in await asyncio.to_thread(w.poll)]
            if changed:
                await self.reload_all(changed)

    async def reload_all(self, changed: Sequence[str] = ()) -> None:
        """Reload the bots whose scenario or template files changed; every bot when a
        changed file is none of theirs (a file they may share) or none is named."""
        bots = list(self.bots.values())
        owned = [b for b in bots if any(b.owns(path) for path in changed)]
        if changed and all(any(b.owns(path) for b in bots) for path in changed):
            bots = owned
        for bot in bots:
            result = await bot.reload()
            if result.replaced:
                self.on_event(f"{bot.name}: reloaded (version {bot.version})")
            else:
                first = result.diagnostics[0].format() if result.diagnostics else "?"
                self.on_event(f"{bot.name}: the edit does not check, the previous version "
                              f"keeps running: {first}")

    def diagnostics(self) -> list[Diagnostic]:
        seen: dict[str, Diagnostic] = {}
        for bot in self.bots.values():
            for d in bot.diagnostics:
                seen.setdefault(d.format(), d)
        return list(seen.values())

    # ------------------------------------------------------------------ people and chats

    def _adopt(self, user: UserAccount) -> Person:
        person = self.people.get(user.id)
        if person is None:
            person = self.people[user.id] = Person(user, own_phone(user))
        return person

    def add_person(self, first_name: str, language_code: str | None) -> Person:
        name = " ".join(first_name.split())
        if not name or len(name) > 64:
            raise PlaygroundError("a person's first name is 1 to 64 characters")
        return self._adopt(self.emulator.add_user(name, language_code=language_code))

    def person(self, user_id: int) -> Person:
        for user in self.emulator.users.values():  # a sandbox may have added someone since
            if not user.is_bot:
                self._adopt(user)
        person = self.people.get(user_id)
        if person is None:
            raise NotFound(f"there is no person {user_id}")
        return person

    def bot(self, name: str) -> LiveBot:
        bot = self.bots.get(name)
        if bot is None:
            raise NotFound(f"there is no bot {name!r} (there are: {', '.join(self.bots)})")
        return bot

    def chat(self, bot: LiveBot, chat_id: int | None, user_id: int) -> Chat:
        """``chat_id`` of ``bot``, or the person's private chat with it when None."""
        person = self.person(user_id)
        if chat_id is None:
            return self.emulator.private_chat(bot.account, person.account)
        try:
            return self.emulator.chat(bot.account, chat_id)
        except EmulatorError as exc:
            raise PlaygroundError(str(exc)) from None

    # ------------------------------------------------------------------ acting

    async def act(self, bot: LiveBot, make: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
        """Make the update (the emulator refuses what Telegram would not allow) and hand it
        to the bot; the update."""
        await self.catch_up()
        try:
            update = make()
        except EmulatorError as exc:
            raise PlaygroundError(str(exc)) from None
        await bot.deliver(update)
        return update

    async def click(self, bot: LiveBot, chat: Chat, user_id: int, message_id: int,
                    data: str) -> dict[str, Any] | None:
        """Press an inline button; the bot's answer to that press (a toast or an alert)."""
        update = await self.act(bot, lambda: self.emulator.click(
            bot.account, chat, user_id, message_id, data))
        query_id = str(update["callback_query"]["id"])
        deadline = asyncio.get_running_loop().time() + ANSWER_WAIT
        while True:
            record = self.emulator.callback_queries.get(query_id)
            answer = record.answer if record is not None else None
            if answer is not None:
                return {"text": answer.text, "show_alert": answer.show_alert} \
                    if answer.text else None
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(0.02)

    def record(self, bot: LiveBot, action: str, value: Any, user_id: int, chat: Chat) -> None:
        """Keep a step for "save as test", with the first line the bot answered with."""
        last = self.emulator.last_bot_message(chat)
        shown = (last.content or "") if last is not None and not last.deleted else ""
        self.recorders[bot.name].add(action, value, self.person(user_id).account, chat, shown)

    async def advance(self, bot: LiveBot, delta: timedelta) -> list[str]:
        """Move every bot's clock (one world, one time) and run the jobs now due."""
        self.recorders[bot.name].wait(int(delta.total_seconds()))
        ran: list[str] = []
        for each in self.bots.values():
            each.clock.advance(delta)
            ran.extend(f"{each.name}.{job}" if each is not bot else job
                       for job in await each.run_jobs())
        return ran
