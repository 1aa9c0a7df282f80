"""A recorded conversation (the playground's list of actions) as a conversation test file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from engine.playground.conversations.spec import ACTIONS

__all__ = ["to_yaml"]


def to_yaml(scenario: str, actions: Sequence[Mapping[str, Any]], *, locale: str = "ru",
            user: str = "Alice") -> str:
    """``actions``: ``{"action": "send"|"click"|..., "value": ..., "user": ?, "chat": ?,
    "shown": ?}`` in order; ``shown`` (the text the bot answered with) becomes the step's
    ``expect: {text_contains: <its first line>}``. Raises ``ValueError`` on an unknown action."""
    steps: list[dict[str, Any]] = []
    current_user, current_chat = user, "private"
    for recorded in actions:
        kind = str(recorded["action"])
        if kind not in ACTIONS:
            raise ValueError(f"unknown action {kind!r}")
        step: dict[str, Any] = {}
        if (who := recorded.get("user")) and who != current_user:
            step["as"] = current_user = str(who)
        if (where := recorded.get("chat")) and where != current_chat:
            step["in"] = current_chat = str(where)
        step[kind] = recorded.get("value")
        shown = str(recorded.get("shown") or "").strip()
        if shown:
            step["expect"] = {"text_contains": shown.splitlines()[0]}
        steps.append(step)
    document = {"scenario": scenario, "locale": locale, "user": user, "steps": steps}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
