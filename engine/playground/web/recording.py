"""What people did with a bot in the page, kept so it can be saved as a conversation test
(``tests/conversations/<scenario>/*.yaml``, see :mod:`engine.playground.conversations`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.playground.botapi import Chat, UserAccount
from engine.playground.conversations.record import to_yaml

__all__ = ["Recorder"]

MAX_STEPS = 1000


@dataclass
class Recorder:
    """The steps of one bot, in order, from its start or the last :meth:`clear`."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    locale: str | None = None  # the first person's language when the recording started
    first_user: str | None = None

    def add(self, action: str, value: Any, user: UserAccount, chat: Chat, shown: str) -> None:
        if len(self.steps) >= MAX_STEPS:
            return
        if not self.steps:
            self.locale, self.first_user = user.language_code, user.first_name
        where = "private" if chat.type == "private" else (chat.title or str(chat.id))
        self.steps.append({"action": action, "value": value, "user": user.first_name,
                           "chat": where, "shown": shown})

    def wait(self, seconds: int) -> None:
        """Time moved: a ``wait`` step for whoever acted last (nothing before anyone acted)."""
        if self.steps and len(self.steps) < MAX_STEPS:
            last = self.steps[-1]
            self.steps.append({"action": "wait", "value": seconds, "user": last["user"],
                               "chat": last["chat"], "shown": ""})

    def clear(self) -> None:
        self.steps.clear()
        self.locale = self.first_user = None

    def to_yaml(self, scenario: str, default_locale: str) -> str:
        header = (f"# Recorded in the playground ({len(self.steps)} steps). Each step expects "
                  "the first line the bot answered with;\n# edit the expectations to what "
                  "matters. A sent document must lie beside this file.\n")
        return header + to_yaml(scenario, self.steps, locale=self.locale or default_locale,
                                user=self.first_user or "Alice")
