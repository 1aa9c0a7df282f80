"""The runtime: everything a compiled scenario needs while users click, built once at start-up.

``Runtime`` is handed to the Dispatcher as workflow data (``dp["engine"]``), so getters, widget
handlers and middlewares reach it through aiogram's own dependency injection; nothing here is a
global.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram.types import Chat, User

from engine.actions import (
    ActionContext,
    ActionRegistry,
    ChatInfo,
    EventInfo,
    NotifierProtocol,
    Services,
    UserInfo,
)
from engine.scenario.schema import Scenario
from engine.settings import Settings, timezone_of
from engine.templates import TemplateStore

__all__ = ["RUNTIME_KEY", "Runtime", "chat_info", "user_info"]

RUNTIME_KEY = "engine"
LOCALE_KEY = "engine_locale"


def utc_now() -> datetime:
    return datetime.now(UTC)


def user_info(user: User | None) -> UserInfo:
    if user is None:
        return UserInfo(id=0)
    return UserInfo(
        id=user.id, first_name=user.first_name, last_name=user.last_name,
        username=user.username, language_code=user.language_code,
    )


def chat_info(chat: Chat | None, fallback_id: int = 0) -> ChatInfo:
    if chat is None:
        return ChatInfo(id=fallback_id, type="private")
    return ChatInfo(id=chat.id, type=chat.type, title=chat.title)


@dataclass
class Runtime:
    """A compiled scenario's collaborators. One per bot."""

    scenario: Scenario
    store: TemplateStore
    registry: ActionRegistry
    settings: Settings
    services: Services
    notifier: NotifierProtocol
    clock: Callable[[], datetime] = utc_now
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("engine.flow"))

    @property
    def locales(self) -> list[str]:
        return list(self.scenario.locales)

    def locale_for(self, user: User | None) -> str:
        """The user's locale: the LOCALE setting if set, else Telegram's language, else default."""
        forced = self.settings.get("LOCALE")
        if isinstance(forced, str) and forced in self.scenario.locales:
            return forced
        code = (user.language_code or "") if user else ""
        code = code.split("-")[0].lower()
        return code if code in self.scenario.locales else self.scenario.default_locale

    def timezone_name(self) -> str:
        return timezone_of(self.settings).key

    def base_scope(self, user: UserInfo, chat: ChatInfo, locale: str) -> dict[str, Any]:
        """The variables every template and expression sees."""
        return {
            "user": {
                "id": user.id, "first_name": user.first_name, "last_name": user.last_name,
                "username": user.username, "full_name": user.full_name,
                "language_code": user.language_code,
            },
            "chat": {"id": chat.id, "type": chat.type, "title": chat.title},
            "locale": locale,
            "settings": self.settings.public(),
            "now": self.clock(),
        }

    def action_context(
        self, user: UserInfo, chat: ChatInfo, locale: str, data: dict[str, Any],
        event: EventInfo | None = None,
    ) -> ActionContext:
        adapter = logging.LoggerAdapter(
            logging.getLogger("engine.actions"), {"user_id": user.id, "chat_id": chat.id}
        )
        return ActionContext(
            user=user, chat=chat, locale=locale, data=data, settings=self.settings,
            services=self.services, notifier=self.notifier, log=adapter, now=self.clock,
            event=event or EventInfo(),
        )

    def render(self, template: str, locale: str, data: Mapping[str, Any]) -> str:
        return self.store.render(template, locale, data, timezone=self.timezone_name())

    def label(self, key: str, locale: str, data: Mapping[str, Any], *, escape: bool = False) -> str:
        return self.store.render_label(key, locale, data, escape=escape,
                                       timezone=self.timezone_name())
