"""Errors of the Bot API emulator.

:class:`ApiError` is a Bot API error reply (it becomes ``{"ok": false, ...}`` on the wire);
:class:`EmulatorError` is a mistake of the caller of the emulator (a test or a terminal chat), for
example clicking a button that does not exist. The two never mix: the bot sees only ``ApiError``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error reply: HTTP status, Telegram-like description, optional ``retry_after``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """The reply body exactly as the Bot API sends it."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """A 400 reply with the ``Bad Request: `` prefix Telegram uses."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """A 403 reply with the ``Forbidden: `` prefix Telegram uses."""
    return ApiError(403, f"Forbidden: {reason}")


class EmulatorError(Exception):
    """The emulator was used wrongly (unknown chat, a click on a button that is not there, ...)."""
