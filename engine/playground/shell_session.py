"""One shell session: the simulated people, the current chat, and what each input line does.

Used by :func:`engine.playground.shell.run_shell`; see :data:`HELP` for the commands.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import shlex
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from engine.playground.botapi import Chat, ChatMessage, EmulatorError, UserAccount
from engine.playground.shell_render import (
    Deleted,
    Event,
    Shown,
    Toast,
    View,
    Warning_,
    Watcher,
    chat_name,
    label_of,
)
from engine.scenario.pipeline import ScenarioBundle
from engine.testing import Actor, Playground

__all__ = ["HELP", "Output", "Shell", "ShellError", "own_phone"]

HELP = """\
Type a message and press Enter to send it (commands too: /start).
  N                       press inline button N of the latest bot message with buttons
  kN                      press button N of the reply keyboard (contact/location requests too)
  \\TEXT                   send TEXT as is (\\3 sends "3" instead of pressing button 3)
  :reply N TEXT           reply to message #N (TEXT may be :file PATH [CAPTION])
  :contact [PHONE]        share your own contact (a phone is made up if omitted)
  :contact-of USER PHONE  share somebody else's contact (forged: the bot should refuse it)
  :location LAT LON       send a location
  :file PATH [CAPTION]    send a file as a document
  :user NAME [LANG]       act as another user (created on first use); :users lists them
  :group TITLE            act in a group of every known user and the bot (created on first use)
  :private                back to the current user's private chat; :chats lists the chats
  :history [N]            show the last N (5) bot messages of this chat again
  :wait DURATION          let time pass (90s, 20m, 2h) and run the bot's due background jobs
  :help, :quit            this help; leave (Ctrl-D works too)"""

DEMO_LOCATION = (41.311081, 69.240562)  # Tashkent
DEFAULT_HISTORY = 5
_PHONE_DIGITS = 10_000_000
_REPLY_BUTTON = re.compile(r"[kK](\d+)")
_DURATION = re.compile(r"(\d+)\s*([smhd]?)")
_UNIT_SECONDS = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}
_FIRST_WORD = re.compile(r"""(?:"([^"]+)"|'([^']+)'|([^\s"']\S*))(?:\s+(.*))?""", re.DOTALL)


class ShellError(Exception):
    """A mistake in what the person typed: reported in one line, then the shell goes on."""


def own_phone(user: UserAccount) -> str:
    """A stable made-up Uzbek mobile number for a simulated user."""
    return f"99890{user.id % _PHONE_DIGITS:07d}"


@dataclass
class Output:
    stream: TextIO
    view: View

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def error(self, text: str) -> None:
        self.line(self.view.style(f"error: {text}", "31"))

    def note(self, text: str) -> None:
        self.line(self.view.style(text, "2"))


class Shell:
    """The people, the current chat and the commands of one shell session."""

    def __init__(self, play: Playground, bundle: ScenarioBundle, out: Output,
                 language: str) -> None:
        self.play = play
        self.bundle = bundle
        self.out = out
        self.language = language
        self.watcher = Watcher(play.emulator, play.bot)
        self.people: dict[str, Actor] = {}
        self.groups: dict[str, Chat] = {}
        self.me = self._person("Alice", language)
        self.chat = self.me.chat

    # ------------------------------------------------------------------ people and chats

    def _person(self, name: str, language: str) -> Actor:
        world = self.play.world
        known = world.user(name, language_code=language) if world is not None else None
        actor = self.play.actor(known) if known is not None else \
            self.play.user(name, language_code=language)
        actor.account.language_code = actor.account.language_code or language
        self.people[name.casefold()] = actor
        return actor

    def _find(self, name: str) -> UserAccount:
        actor = self.people.get(name.casefold())
        if actor is not None:
            return actor.account
        if name.isdigit() and int(name) in self.play.emulator.users:
            return self.play.emulator.users[int(name)]
        known = ", ".join(a.account.first_name for a in self.people.values())
        raise ShellError(f"no user {name!r} (known: {known})")

    @property
    def actor(self) -> Actor:
        return self.me.at(self.chat)

    def where(self) -> str:
        if self.chat.type == "private":
            return f"{self.me.account.first_name} in the private chat with the bot"
        return f"{self.me.account.first_name} in the group {self.chat.title!r}"

    def prompt(self) -> str:
        name = self.me.account.first_name
        return f"{name}> " if self.chat.type == "private" else f"{name}@{self.chat.title}> "

    def banner(self) -> None:
        scenario = self.bundle.scenario
        bot = self.play.bot
        self.out.line(self.out.view.style(
            f"{scenario.title or scenario.scenario} - bot @{bot.username} (shell, no network)", "1"
        ))
        self.out.line(f"You are {self.where()} (language {self.language}).")
        self.out.line("Send /start to begin; :help lists the commands, :quit leaves.")
        for note in self.play.world.notes if self.play.world is not None else ():
            self.out.note(note)

    def _join(self, chat: Chat, account: UserAccount) -> None:
        if chat.members.get(account.id) not in ("creator", "administrator", "member"):
            chat.members[account.id] = "member"
            self.out.note(f"({account.first_name} joined {chat.title!r})")

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
            elif (match := _REPLY_BUTTON.fullmatch(line)) is not None:
                await self._press_reply(int(match.group(1)))
            else:
                await self.actor.send(line)
        except (ShellError, EmulatorError) as exc:
            self.out.error(str(exc))
        except TimeoutError:
            self.out.error("the bot did not handle that within 10 s (see the log above)")
        if not self.report() and len(self.play.emulator.updates(self.play.bot)) > updates:
            self.out.note("(no answer)")
        return True

    async def _command(self, line: str) -> bool:
        name, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if name in ("quit", "q", "exit"):
            return False
        handler = {
            "help": self._help, "user": self._user, "users": self._users,
            "group": self._group, "private": self._private, "chats": self._chats,
            "contact": self._contact, "contact-of": self._contact_of,
            "location": self._location, "file": self._file, "reply": self._reply,
            "history": self._history, "wait": self._wait,
        }.get(name)
        if handler is None:
            raise ShellError(f"unknown command :{name} (:help lists them)")
        await handler(rest)
        return True

    async def _press_inline(self, number: int) -> None:
        message = next((m for m in reversed(self.play.emulator.bot_messages(self.chat))
                        if m.inline_buttons), None)
        if message is None:
            raise ShellError("no message with inline buttons in this chat")
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
        self.out.note(f"(pressed {label_of(button)})")
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

    async def _user(self, rest: str) -> None:
        args = _split(rest)
        if not 1 <= len(args) <= 2:
            raise ShellError("usage: :user NAME [LANG]")
        name = args[0]
        language = args[1] if len(args) > 1 else None
        actor = self.people.get(name.casefold())
        if actor is None:
            actor = self._person(name, language or self.language)
            self.out.note(f"(new user {name}, id {actor.id}, "
                          f"language {actor.account.language_code})")
        elif language is not None:
            actor.account.language_code = language
        self.me = actor
        if self.chat.type == "private":
            self.chat = actor.chat
        else:
            self._join(self.chat, actor.account)
        self.out.note(f"(now: {self.where()})")

    async def _users(self, rest: str) -> None:
        for actor in self.people.values():
            mark = "*" if actor.account is self.me.account else " "
            self.out.line(f"{mark} {actor.account.first_name}  id {actor.id}  "
                          f"language {actor.account.language_code}")

    async def _group(self, rest: str) -> None:
        title = " ".join(_split(rest))
        if not title:
            raise ShellError("usage: :group TITLE")
        chat = self.groups.get(title.casefold()) or self.play.emulator.find_group(title)
        if chat is not None:
            self.groups[title.casefold()] = chat
        else:
            others = [a for a in self.people.values() if a.account is not self.me.account]
            chat = self.play.group(title, self.me, *others)
            self.groups[title.casefold()] = chat
            names = ", ".join(a.account.first_name for a in (self.me, *others))
            self.out.note(f"(new group {title!r}, id {chat.id}: {names} and the bot)")
        for actor in self.people.values():
            self._join(chat, actor.account)
        self.chat = chat
        self.out.note(f"(now: {self.where()})")

    async def _private(self, rest: str) -> None:
        self.chat = self.me.chat
        self.out.note(f"(now: {self.where()})")

    async def _chats(self, rest: str) -> None:
        chats = [a.chat for a in self.people.values()] + list(self.groups.values())
        for chat in chats:
            mark = "*" if chat is self.chat else " "
            count = len(self.play.emulator.bot_messages(chat))
            kind = "private" if chat.type == "private" else f"{len(chat.members)} members"
            title = chat.user.first_name if chat.user is not None else chat.title
            self.out.line(f"{mark} {title}  ({kind}, id {chat.id}, {count} bot messages)")

    async def _contact(self, rest: str) -> None:
        phone = rest or own_phone(self.me.account)
        await self.actor.share_contact(phone)

    async def _contact_of(self, rest: str) -> None:
        args = _split(rest)
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
            self._show(message)

    # ------------------------------------------------------------------ output

    def report(self) -> int:
        """Print what the bot did since the last report; how many things that was."""
        events = self.watcher.collect()
        for event in events:
            self._print(event)
        return len(events)

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
        for line in self.out.view.message(message, edited=edited, prefix=prefix):
            self.out.line(line)

    def _prefix(self, chat: Chat) -> str:
        return "" if chat is self.chat else f"-> [{chat_name(chat)}] "


def _split(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as exc:
        raise ShellError(f"can't parse {rest!r}: {exc}") from None


def _read_file(raw_path: str) -> tuple[str, bytes]:
    path = Path(raw_path).expanduser()
    return path.name, path.read_bytes()
