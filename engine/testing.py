"""The test kit: scripted users drive the real dispatcher built from real scenario files.

::

    async with Playground.open("scenarios/demo.yaml") as play:
        alice = play.user("Alice")
        await alice.send("/start")
        await alice.click("☕ Drinks")
        assert "Pick a drink" in alice.last.text

Every outgoing call goes through the Bot API emulator, which validates it against the Bot API
schema (``transport="memory"``: an in-process aiogram session; ``transport="http"``: aiogram's own
aiohttp session over loopback with long polling). Nothing of aiogram or aiogram-dialog is patched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Chat as AiogramChat
from aiogram.types import Update, User
from aiogram_dialog import StartMode
from aiogram_dialog.api.entities import (
    DEFAULT_STACK_ID,
    DialogAction,
    DialogStartEvent,
    DialogUpdate,
)
from aiogram_dialog.manager.updater import Updater
from aiogram_dialog.utils import REPLY_CALLBACK_SYMBOLS
from aiohttp import web

from engine.actions import Services
from engine.errors import ScenarioError
from engine.playground.botapi import (
    ApiCall,
    BotAccount,
    BotApiEmulator,
    Chat,
    ChatMessage,
    EmulatorServer,
    EmulatorSession,
    UserAccount,
)
from engine.playground.sandbox import Sandbox, offer_funnel, start_sandboxes
from engine.routes import RouteTable
from engine.runtime.app import BotApp, build_app, make_bot
from engine.runtime.context import utc_now
from engine.runtime.funnel import Funnel
from engine.runtime.storage import create_storage
from engine.scenario.pipeline import ScenarioBundle, load_bundle

__all__ = ["Actor", "Playground", "SandboxClock", "visible"]

TOKEN = "123456:TEST-TOKEN"
Transport = Literal["memory", "http"]


@dataclass
class Actor:
    """A user acting in one chat (their private chat with the bot, or a group)."""

    play: Playground
    account: UserAccount
    chat: Chat

    @property
    def id(self) -> int:
        return self.account.id

    def at(self, chat: Chat) -> Actor:
        """The same user acting in another chat (a group they are a member of)."""
        return Actor(self.play, self.account, chat)

    # ------------------------------------------------------------------ doing

    async def send(self, text: str, *, reply_to: int | None = None) -> None:
        emu = self.play.emulator
        await self.play.deliver(emu.send_text(self.play.bot, self.chat, self.account, text,
                                              reply_to=reply_to))

    async def click(self, text: str) -> None:
        """Press the inline button ``text`` on the latest bot message that has it."""
        emu = self.play.emulator
        await self.play.deliver(emu.click_text(self.play.bot, self.chat, self.account, text))

    async def click_data(self, message_id: int, callback_data: str) -> None:
        emu = self.play.emulator
        await self.play.deliver(emu.click(self.play.bot, self.chat, self.account, message_id,
                                          callback_data))

    async def press(self, text: str, *, phone_number: str = "") -> None:
        """Press a button of the current reply keyboard by its visible label."""
        emu = self.play.emulator
        keyboard = emu.reply_keyboard(self.chat) or []
        full = next((b.text for row in keyboard for b in row if visible(b.text) == text), text)
        await self.play.deliver(emu.press_reply_button(self.play.bot, self.chat, self.account,
                                                       full, phone_number=phone_number))

    async def share_contact(self, phone_number: str = "998901234567", *,
                            contact_user_id: int | None = None) -> None:
        """Share a contact: by default one's own; ``contact_user_id`` forges somebody else's."""
        emu = self.play.emulator
        kwargs: dict[str, Any] = {}
        if contact_user_id is not None:
            kwargs["contact_user_id"] = contact_user_id
        await self.play.deliver(emu.share_contact(self.play.bot, self.chat, self.account,
                                                  phone_number, **kwargs))

    async def send_location(self, latitude: float, longitude: float) -> None:
        emu = self.play.emulator
        await self.play.deliver(emu.send_location(self.play.bot, self.chat, self.account,
                                                  latitude, longitude))

    async def send_document(self, data: bytes, file_name: str, mime_type: str, *,
                            caption: str | None = None, reply_to: int | None = None) -> None:
        emu = self.play.emulator
        await self.play.deliver(emu.send_document(
            self.play.bot, self.chat, self.account, data, file_name, mime_type,
            caption=caption, reply_to=reply_to))

    # ------------------------------------------------------------------ seeing

    @property
    def messages(self) -> list[ChatMessage]:
        """The bot's messages in this chat, oldest first (deleted ones left out)."""
        return self.play.emulator.bot_messages(self.chat)

    @property
    def last(self) -> ChatMessage:
        message = self.play.emulator.last_bot_message(self.chat)
        if message is None:
            raise AssertionError(f"the bot has sent nothing to chat {self.chat.id}")
        return message

    def texts(self) -> list[str]:
        return [m.content or "" for m in self.messages]

    def buttons(self) -> list[str]:
        """Labels of the last bot message's buttons, row by row flattened."""
        return [b.text for row in self.last.buttons for b in row]

    def reply_buttons(self) -> list[str]:
        keyboard = self.play.emulator.reply_keyboard(self.chat) or []
        return [visible(b.text) for row in keyboard for b in row]


class EmulatorWorld:
    """:class:`engine.playground.sandbox.SandboxWorld` over the emulator: packages' sandbox
    hooks create people and groups here (e.g. a help desk's managers' group)."""

    def __init__(self, emulator: BotApiEmulator, bot: BotAccount) -> None:
        self.emulator = emulator
        self.bot = bot
        self.notes: list[str] = []

    def user(self, first_name: str, *, language_code: str | None = None) -> int:
        found = next((u for u in self.emulator.users.values() if u.first_name == first_name),
                     None)
        if found is None:
            found = self.emulator.add_user(first_name, language_code=language_code)
        return found.id

    def group(self, title: str, member_ids: Sequence[int]) -> int:
        found = self.emulator.find_group(title)
        if found is None:
            found = self.emulator.create_group(title, members=list(member_ids), bots=[self.bot])
        return found.id

    def note(self, text: str) -> None:
        self.notes.append(text)


class SandboxClock:
    """The bot's clock in tests and the terminal chat: real UTC time (or a fixed ``start``)
    moved forward by :meth:`advance`, so time-based behaviour is tested without waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return (self.start or utc_now()) + self.offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta():
            raise ValueError("time does not go backwards")
        self.offset += delta


@dataclass
class Playground:
    emulator: BotApiEmulator
    app: BotApp
    bot: BotAccount
    transport: Transport
    clock: Callable[[], datetime] = utc_now
    world: EmulatorWorld | None = None
    sandbox: Sandbox | None = None  # with ``sandbox=True``: the packages' checks
    http_url: str = ""  # with ``http=True``: where the packages' routes are served
    _polling: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls, scenario: str | Path | ScenarioBundle, *, transport: Transport = "memory",
        environ: Mapping[str, str] | None = None, redis_url: str | None = None,
        clock: Callable[[], datetime] | None = None, services: Services | None = None,
        emulator: BotApiEmulator | None = None, sandbox: bool = False, jobs: bool = False,
        http: bool = False,
    ) -> AsyncIterator[Playground]:
        """``sandbox``: first run the packages' ``setup_sandbox`` hooks (their emulators, e.g.
        the REGOS demo shop; people and groups in :attr:`world`), whose environment the bot
        then starts with. ``jobs``: run the scenario's background jobs every second as
        production does (otherwise :meth:`advance` runs them, deterministically). ``http``:
        serve what the packages register with ``pkg.add_route`` on 127.0.0.1 (:attr:`http_url`)
        as ``serve`` does."""
        clock = clock or SandboxClock()
        bundle = scenario if isinstance(scenario, ScenarioBundle) else _load(Path(scenario))
        emu = emulator or BotApiEmulator()
        account = emu.add_bot(TOKEN, username=f"{bundle.scenario.scenario}_bot",
                              first_name=bundle.scenario.title or bundle.scenario.scenario)
        storage = await create_storage(redis_url)
        async with contextlib.AsyncExitStack() as stack:
            if transport == "http":
                server = await stack.enter_async_context(EmulatorServer(emu))
                bot = make_bot(TOKEN, api_url=server.base_url)
            else:
                bot = make_bot(TOKEN, session=EmulatorSession(emu))
            world = EmulatorWorld(emu, account)
            # scripted users act faster than people: no throttling unless a test asks for it
            env: Mapping[str, str] = {"THROTTLE_RATE": "0", **(environ or {})}
            box: Sandbox | None = None
            if sandbox:  # closed by ``stack`` once the bot has stopped
                box = Sandbox(bundle.scenario.scenario, env, stack, world)
                env = await start_sandboxes(bundle.scenario.actions, box)
            app = await build_app(bundle, bot, storage, environ=env, services=services,
                                  clock=clock)
            play = cls(emu, app, account, transport, clock, world, box)
            if box is not None:
                offer_funnel(box, lambda: app.runtime.services.find(Funnel))
            if transport == "memory":
                await app.dispatcher.emit_startup(bot=bot)
            else:
                play._polling = asyncio.create_task(app.dispatcher.start_polling(
                    bot, handle_as_tasks=False, handle_signals=False, close_bot_session=False,
                    polling_timeout=1,
                ))
                await play.wait_polling()
            if jobs:
                app.jobs.start()
            if http:
                play.http_url = await _serve_routes(stack, bundle.scenario.scenario, app)
            try:
                yield play
            finally:
                await play.close()

    async def wait_polling(self, timeout: float = 10) -> None:
        """Return once the bot has started long polling the emulator."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.emulator.calls_of("getUpdates"):
            if self._polling is not None and self._polling.done():
                self._polling.result()
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the bot did not start polling")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        if self._polling is not None:
            with contextlib.suppress(RuntimeError):
                await self.app.dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._polling, 5)
            self._polling = None
        await self.app.close()

    async def advance(self, delta: timedelta) -> list[str]:
        """Move the sandbox clock forward and run the background jobs that became due;
        the names of the jobs that ran."""
        if not isinstance(self.clock, SandboxClock):
            raise TypeError("advance needs the playground's SandboxClock")
        self.clock.advance(delta)
        return await self.app.jobs.run_due()

    def user(self, first_name: str = "Alice", *, language_code: str | None = "ru",
             username: str | None = None, last_name: str | None = None) -> Actor:
        account = self.emulator.add_user(first_name, last_name=last_name, username=username,
                                         language_code=language_code)
        return Actor(self, account, self.emulator.private_chat(self.bot, account))

    def actor(self, user_id: int, chat: Chat | None = None) -> Actor:
        """An existing user (e.g. one a package's sandbox created) in their private chat or
        in ``chat``."""
        account = self.emulator.users[user_id]
        return Actor(self, account, chat or self.emulator.private_chat(self.bot, account))

    def group(self, title: str, *members: Actor, chat_id: int | None = None) -> Chat:
        return self.emulator.create_group(title, members=[m.account for m in members],
                                         bots=[self.bot], chat_id=chat_id)

    async def deliver(self, update: Mapping[str, Any]) -> None:
        """Hand one update to the bot and return when it has been processed."""
        if self.transport == "http":
            await self.emulator.wait_confirmed(int(update["update_id"]), timeout=10)
            return
        bot = self.app.bot
        parsed = Update.model_validate(dict(update), context={"bot": bot})
        self.emulator.take_updates(self.bot)  # keep the emulator's queue in step
        await self.app.dispatcher.feed_update(bot, parsed)

    async def start_at(self, actor: Actor, dialog: str, window: str,
                       data: Mapping[str, Any] | None = None) -> None:
        """Open ``dialog.window`` for ``actor`` as if the flow had led there (the dialog stack
        reset, ``data`` as the window's dialog data), so a test need not replay a long flow.
        Returns once the window has been shown."""
        state = self.app.states[(dialog, window)]
        account = actor.account
        user = User(id=account.id, is_bot=False, first_name=account.first_name,
                    last_name=account.last_name, username=account.username,
                    language_code=account.language_code)
        chat = AiogramChat(id=actor.chat.id, type=actor.chat.type, title=actor.chat.title)
        bot = self.app.bot
        event = DialogStartEvent(
            action=DialogAction.START, data=dict(data or {}), new_state=state,
            mode=StartMode.RESET_STACK, show_mode=None, access_settings=None, from_user=user,
            chat=chat, intent_id=None, stack_id=DEFAULT_STACK_ID, thread_id=None,
            business_connection_id=None)
        await Updater(self.app.dispatcher).notify_task(
            bot, DialogUpdate(aiogd_update=event.as_(bot)).as_(bot))

    async def forget_state(self) -> None:
        """Lose every user's dialog state, as a restart without Redis would."""
        storage = self.app.storage.fsm
        if isinstance(storage, MemoryStorage):
            storage.storage.clear()
        else:
            raise RuntimeError("forget_state works on process-memory storage only")

    def calls(self, method: str | None = None) -> list[ApiCall]:
        if method is None:
            return list(self.emulator.calls)
        return self.emulator.calls_of(method)

    def rejected_calls(self) -> list[ApiCall]:
        """Calls the emulator refused as malformed (schema, Telegram limits, unknown method): a
        test should expect none. Refusals a user causes (403: blocked) or a test scripts
        (``fail_next``) are not counted, nor "message is not modified" (Telegram's answer to an
        edit that changes nothing, which aiogram-dialog expects and ignores)."""
        return [c for c in self.emulator.calls
                if not c.ok and not c.scripted and c.error_code in (400, 404, 413)
                and "message is not modified" not in (c.error_description or "")]


async def _serve_routes(stack: contextlib.AsyncExitStack, name: str, app: BotApp) -> str:
    table = RouteTable()
    table.replace(name, app.routes)
    runner = web.AppRunner(web.Application(middlewares=[table.middleware]), access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


def visible(text: str) -> str:
    """A button label without the invisible callback data aiogram-dialog appends to reply
    keyboard buttons."""
    return text.rstrip(REPLY_CALLBACK_SYMBOLS)


def _load(path: Path) -> ScenarioBundle:
    bundle, diagnostics = load_bundle(path)
    if bundle is None:
        raise ScenarioError(diagnostics)
    return bundle
