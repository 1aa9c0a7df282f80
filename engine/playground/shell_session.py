"""One shell session: what each input line does, and what the bot did in return.

The people and chats are :class:`~engine.playground.shell_people.Cast`'s. Used by
:func:`engine.playground.shell.run_shell`; see :data:`HELP` for the commands.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from datetime import timedelta
from pathlib import Path

from engine.playground.botapi import Chat, ChatMessage, EmulatorError, UserAccount
from engine.playground.shell_files import SavedFiles
from engine.playground.shell_people import Cast, Output, ShellError, split_args
from engine.playground.shell_render import (
    Deleted,
    Event,
    Shown,
    Toast,
    Warning_,
    Watcher,
    chat_name,
    label_of,
)
from engine.scenario.pipeline import ScenarioBundle
from engine.testing import Playground

__all__ = ["HELP", "Output", "Shell", "ShellError", "own_phone"]

HELP = """\
Type a message and press Enter to send it (commands too: /start).
Bot messages are numbered per chat (#N at the start of each one); buttons are [M] and <M>.
  N                       press inline button N of the latest bot message with buttons
  #N.M                    press inline button M of message #N (#3.1: message #3, button 1)
  kN                      press button N of the reply keyboard (contact/location requests too)
  \\TEXT                   send TEXT as is (\\3 sends "3" instead of pressing button 3)
  :reply N TEXT           reply to message #N (TEXT may be :file PATH [CAPTION])
  :contact [PHONE]        share your own contact (a phone is made up if omitted)
  :contact-of USER PHONE  share somebody else's contact (forged: the bot should refuse it)
  :location LAT LON       send a location
  :file PATH [CAPTION]    send a file as a document
  :user NAME [LANG]       act as another user (created on first use); :users lists them
  :group TITLE            act in group TITLE, if you are a member (a new group: you and the bot)
  :join TITLE             become a member of group TITLE and act in it
  :private                back to the current user's private chat; :chats lists the chats
  :history [N]            show the last N (5) bot messages of this chat again
  :wait DURATION          let time pass (90s, 20m, 2h) and run the bot's due background jobs
  :help, :quit            this help; leave (Ctrl-D works too)
Photos and documents the bot sends are saved in a folder named at the start (--files DIR)."""

DEMO_LOCATION = (41.311081, 69.240562)  # Tashkent
DEFAULT_HISTORY = 5
_PHONE_DIGITS = 10_000_000
_REPLY_BUTTON = re.compile(r"[kK](\d+)")
_MESSAGE_BUTTON = re.compile(r"#(\d+)\.(\d+)")
_DURATION = re.compile(r"(\d+)\s*([smhd]?)")
_UNIT_SECONDS = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}
_FIRST_WORD = re.compile(r"""(?:"([^"]+)"|'([^']+)'|([^\s"']\S*))(?:\s+(.*))?""", re.DOTALL)


def own_phone(user: UserAccount) -> str:
    """A stable made-up Uzbek mobile number for a simulated user."""
    return f"99890{user.id % _PHONE_DIGITS:07d}"


class Shell(Cast):
    """The commands of one shell session, and the report of what the bot did."""

    def __init__(self, play: Playground, bundle: ScenarioBundle, out: Output,
                 language: str, *, files: SavedFiles | str | Path | None = None) -> None:
        super().__init__(play, out, language)
        self.bundle = bundle
        self.watcher = Watcher(play.emulator, play.bot)
        self.files = files if isinstance(files, SavedFiles) else SavedFiles.open(files)

    def banner(self) -> None:
        scenario = self.bundle.scenario
        bot = self.play.bot
        self.out.line(self.out.view.style(
            f"{scenario.title or scenario.scenario} - bot @{bot.username} (shell, no network)", "1"
        ))
        self.out.line(f"You are {self.where()} (language {self.language}).")
        self.out.line("Send /start to begin; :help lists the commands, :quit leaves.")
        self.out.line(f"Photos and documents the bot sends are saved in {self.files.folder}")
        for note in self.play.world.notes if self.play.world is not None else ():
            self.out.note(note)

    # ------------------------------------------------------------------ input

    async def handle(self, raw: str) -> bool:
        """Do what one input line says; False when the shell should end."""
        line = raw.strip()
        if not line:
            return True
        updates = len(self.play.emulator.updates(self.play.bot))
        try:
            if line.startswith(":"):
                if not await self._command(line):
                    return False
            elif line.startswith("\\"):
                await self.actor.send(line[1:])
            elif line.isdigit():
                await self._press_inline(int(line))
            elif (match := _MESSAGE_BUTTON.fullmatch(line)) is not None:
                await self._press_inline(int(match.group(2)), int(match.group(1)))
            elif (match := _REPLY_BUTTON.fullmatch(line)) is not None:
                await self._press_reply(int(match.group(1)))
            else:
                await self.actor.send(line)
        except (ShellError, EmulatorError) as exc:
            self.out.error(str(exc))
        except TimeoutError:
            self.out.error("the bot did not handle that within 10 s (see the log above)")
        if not await self.report() and len(self.play.emulator.updates(self.play.bot)) > updates:
            self.out.note("(no answer)")
        return True

    async def _command(self, line: str) -> bool:
        name, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if name in ("quit", "q", "exit"):
            return False
        handler = {
            "help": self._help, "user": self._user, "users": self._users,
            "group": self._group, "join": self._join, "private": self._private,
            "chats": self._chats,
            "contact": self._contact, "contact-of": self._contact_of,
            "location": self._location, "file": self._file, "reply": self._reply,
            "history": self._history, "wait": self._wait,
        }.get(name)
        if handler is None:
            raise ShellError(f"unknown command :{name} (:help lists them)")
        await handler(rest)
        return True

    async def _press_inline(self, number: int, message_id: int | None = None) -> None:
        """Button ``number`` of message #``message_id`` (the latest with buttons if None)."""
        messages = [m for m in self.play.emulator.bot_messages(self.chat) if m.inline_buttons]
        if message_id is not None:
            messages = [m for m in messages if m.message_id == message_id]
        if not messages:
            if message_id is None:
                raise ShellError("no message with inline buttons in this chat")
            raise ShellError(f"no message #{message_id} with buttons in this chat")
        message = messages[-1]
        buttons = [b for row in message.inline_buttons for b in row]
        if not 1 <= number <= len(buttons):
            raise ShellError(f"no button {number}: message #{message.message_id} has buttons "
                             f"1-{len(buttons)}")
        button = buttons[number - 1]
        if button.url is not None:
            self.out.note(f"(button {number} opens {button.url}: nothing is sent to the bot)")
            return
        if button.callback_data is None:
            raise ShellError(f"button {number} is a {button.kind} button, which is not emulated")
        self.out.note(f"(pressed {label_of(button)} on #{message.message_id})")
        await self.actor.click_data(message.message_id, button.callback_data)

    async def _press_reply(self, number: int) -> None:
        keyboard = self.play.emulator.reply_keyboard(self.chat)
        buttons = [b for row in keyboard or [] for b in row]
        if not buttons:
            raise ShellError("there is no reply keyboard in this chat")
        if not 1 <= number <= len(buttons):
            raise ShellError(f"no keyboard button {number}: the keyboard has 1-{len(buttons)}")
        button = buttons[number - 1]
        if button.request_contact:
            phone = own_phone(self.me.account)
            self.out.note(f"(pressed {label_of(button)}: sharing your contact +{phone})")
            await self.actor.share_contact(phone)
        elif button.request_location:
            self.out.note(f"(pressed {label_of(button)}: sharing a location in Tashkent)")
            await self.actor.send_location(*DEMO_LOCATION)
        elif button.kind == "text":
            self.out.note(f"(pressed {label_of(button)})")
            await self.actor.press(button.text)
        else:
            raise ShellError(f"keyboard button {number} is a {button.kind} button, "
                             "which is not emulated")

    # ------------------------------------------------------------------ commands

    async def _help(self, rest: str) -> None:
        self.out.line(HELP)

    async def _contact(self, rest: str) -> None:
        phone = rest or own_phone(self.me.account)
        await self.actor.share_contact(phone)

    async def _contact_of(self, rest: str) -> None:
        args = split_args(rest)
        if len(args) != 2:
            raise ShellError("usage: :contact-of USER PHONE")
        other = self._find(args[0])
        emulator = self.play.emulator
        await self.play.deliver(emulator.share_contact(
            self.play.bot, self.chat, self.me.account, args[1], first_name=other.first_name,
            last_name=other.last_name, contact_user_id=other.id,
        ))

    async def _location(self, rest: str) -> None:
        try:
            latitude, longitude = (float(v) for v in rest.replace(",", " ").split())
        except ValueError:
            raise ShellError("usage: :location LAT LON (e.g. :location 41.31 69.24)") from None
        await self.actor.send_location(latitude, longitude)

    async def _file(self, rest: str, *, reply_to: int | None = None) -> None:
        match = _FIRST_WORD.fullmatch(rest)
        if match is None:
            raise ShellError("usage: :file PATH [CAPTION] (quote a PATH with spaces)")
        raw_path = next(g for g in match.group(1, 2, 3) if g is not None)
        caption = (match.group(4) or "").strip() or None
        try:
            name, data = await asyncio.to_thread(_read_file, raw_path)
        except OSError as exc:
            raise ShellError(f"can't read {raw_path}: {exc.strerror or exc}") from None
        mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        await self.actor.send_document(data, name, mime_type, caption=caption, reply_to=reply_to)

    async def _reply(self, rest: str) -> None:
        number, _, text = rest.partition(" ")
        if not number.lstrip("#").isdigit() or not text.strip():
            raise ShellError("usage: :reply N TEXT (N is a message number #N)")
        reply_to = int(number.lstrip("#"))
        if text.strip().startswith(":file "):
            await self._file(text.strip()[6:], reply_to=reply_to)
            return
        await self.actor.send(text.strip(), reply_to=reply_to)

    async def _wait(self, rest: str) -> None:
        match = _DURATION.fullmatch(rest.strip().lower())
        if match is None:
            raise ShellError("usage: :wait DURATION (e.g. 90s, 20m, 2h; minutes by default)")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        try:
            ran = await self.play.advance(timedelta(seconds=seconds))
        except TypeError:
            raise ShellError("this session's clock cannot be moved") from None
        jobs = ", ".join(ran) if ran else "none due"
        self.out.note(f"({seconds} s later; background jobs run: {jobs})")

    async def _history(self, rest: str) -> None:
        if rest and not rest.isdigit():
            raise ShellError("usage: :history [N]")
        count = int(rest) if rest else DEFAULT_HISTORY
        messages = self.play.emulator.bot_messages(self.chat)[-count:] if count else []
        if not messages:
            self.out.note("(no bot messages in this chat)")
        for message in messages:
            await self._save_files(message)
            self._show(message)

    # ------------------------------------------------------------------ output

    async def report(self) -> int:
        """Print what the bot did since the last report (saving the files it sent); how many
        things that was."""
        events = self.watcher.collect()
        for event in events:
            if isinstance(event, Shown):
                await self._save_files(event.message)
            self._print(event)
        return len(events)

    async def _save_files(self, message: ChatMessage) -> None:
        for stored in (message.photo, message.document):
            if stored is not None:
                await self.files.save(stored)

    def _print(self, event: Event) -> None:
        view = self.out.view
        if isinstance(event, Shown):
            self._show(event.message, edited=event.edited)
        elif isinstance(event, Deleted):
            self.out.note(f"{self._prefix(event.chat)}(deleted #{event.message_id})")
        elif isinstance(event, Toast):
            self.out.line(f"({'alert' if event.alert else 'toast'}) {event.text}")
        elif isinstance(event, Warning_):
            self.out.line(view.style(f"!! bot called {event.method}: {event.description}", "33"))

    def _show(self, message: ChatMessage, *, edited: bool = False) -> None:
        prefix = self._prefix(message.chat)
        files = {f.file_unique_id: shown for f in (message.photo, message.document)
                 if f is not None and (shown := self.files.shown(f)) is not None}
        for line in self.out.view.message(message, edited=edited, prefix=prefix, files=files):
            self.out.line(line)

    def _prefix(self, chat: Chat) -> str:
        return "" if chat is self.chat else f"-> [{chat_name(chat)}] "


def _read_file(raw_path: str) -> tuple[str, bytes]:
    path = Path(raw_path).expanduser()
    return path.name, path.read_bytes()
