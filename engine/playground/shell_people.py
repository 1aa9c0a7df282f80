"""The shell's cast: the simulated people, the groups, who is a member where, and the chat the
person at the keyboard is acting in (``:user``, ``:users``, ``:group``, ``:join``, ``:private``,
``:chats``).

Switching user or chat never changes a membership: a customer who types ``:group Managers`` is
told they are not a member; ``:join Managers`` makes them one, explicitly.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TextIO

from engine.playground.botapi import Chat, UserAccount
from engine.playground.shell_render import View
from engine.testing import Actor, Playground

__all__ = ["Cast", "Output", "ShellError", "split_args"]

MEMBER_STATUSES = ("creator", "administrator", "member")


class ShellError(Exception):
    """A mistake in what the person typed: reported in one line, then the shell goes on."""


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


def split_args(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as exc:
        raise ShellError(f"can't parse {rest!r}: {exc}") from None


class Cast:
    """The people and chats of one shell session, and the commands that switch between them."""

    def __init__(self, play: Playground, out: Output, language: str) -> None:
        self.play = play
        self.out = out
        self.language = language
        self.people: dict[str, Actor] = {}
        self.groups: dict[str, Chat] = {}
        self.me = self._person("Alice", language)
        self.chat = self.me.chat

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

    @staticmethod
    def _is_member(chat: Chat, account: UserAccount) -> bool:
        return chat.members.get(account.id) in MEMBER_STATUSES

    def _existing_group(self, title: str) -> Chat | None:
        chat = self.groups.get(title.casefold()) or self.play.emulator.find_group(title)
        if chat is not None:
            self.groups[title.casefold()] = chat
        return chat

    async def _user(self, rest: str) -> None:
        args = split_args(rest)
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
        if self.chat.type != "private" and not self._is_member(self.chat, actor.account):
            group, self.chat = self.chat, actor.chat  # switching users joins nobody anywhere
            self.out.note(f"({name} is not a member of {group.title!r}; now: {self.where()})")
            return
        if self.chat.type == "private":
            self.chat = actor.chat
        self.out.note(f"(now: {self.where()})")

    async def _users(self, rest: str) -> None:
        for actor in self.people.values():
            mark = "*" if actor.account is self.me.account else " "
            self.out.line(f"{mark} {actor.account.first_name}  id {actor.id}  "
                          f"language {actor.account.language_code}")

    async def _group(self, rest: str) -> None:
        """Act in a group one is a member of; a new title makes a group of oneself and the bot.
        Switching never changes who is a member: :join does, explicitly."""
        title = " ".join(split_args(rest))
        if not title:
            raise ShellError("usage: :group TITLE")
        chat = self._existing_group(title)
        name = self.me.account.first_name
        if chat is None:
            chat = self.play.group(title, self.me)
            self.groups[title.casefold()] = chat
            self.out.note(f"(new group {title!r}, id {chat.id}: {name} and the bot)")
        elif not self._is_member(chat, self.me.account):
            raise ShellError(f"{name} is not a member of {chat.title!r} "
                             f"(:join {chat.title} joins it)")
        self.chat = chat
        self.out.note(f"(now: {self.where()})")

    async def _join(self, rest: str) -> None:
        title = " ".join(split_args(rest))
        if not title:
            raise ShellError("usage: :join TITLE")
        chat = self._existing_group(title)
        if chat is None:
            raise ShellError(f"no group {title!r} (:group {title} creates it)")
        name = self.me.account.first_name
        if self._is_member(chat, self.me.account):
            self.out.note(f"({name} is already a member of {chat.title!r})")
        else:
            chat.members[self.me.account.id] = "member"
            self.out.note(f"({name} joined {chat.title!r})")
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
            outside = "" if chat.type == "private" or self._is_member(chat, self.me.account) \
                else f"; {self.me.account.first_name} is not a member"
            self.out.line(f"{mark} {title}  ({kind}, id {chat.id}, {count} bot messages{outside})")
