"""Log lines as text or as JSON, with the bot and the update they concern.

``python -m engine --log-format json ...`` (or ``LOG_FORMAT=json``) prints one JSON object per
line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and, where known, ``bot``
(the bot's name in DEPLOY.yaml) and ``update_id``, then ``exc`` (the traceback) when there is one.
Whoever handles an update binds them (:func:`bind_update`); a record may also carry them as
``extra={"bot": ...}``. Secrets are masked before any formatter sees the record
(:mod:`engine.masking`).
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

__all__ = ["LOG_FORMATS", "ContextFilter", "JsonFormatter", "bind_update", "use_format"]

LOG_FORMATS = ("text", "json")
_BOT: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_bot", default=None)
_UPDATE: contextvars.ContextVar[int | None] = contextvars.ContextVar("log_update", default=None)


def bind_update(bot: str, update_id: int | None = None) -> None:
    """Name ``bot`` and ``update_id`` in every line logged from now on in this context (call it
    at the start of the task that handles the update: tasks copy their context)."""
    _BOT.set(bot)
    _UPDATE.set(update_id)


class ContextFilter(logging.Filter):
    """A handler filter: the bound bot and update id onto the record (unless it has them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "bot", None) is None:
            record.bot = _BOT.get()
        if getattr(record, "update_id", None) is None:
            record.update_id = _UPDATE.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("bot", "update_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def use_format(log_format: str, logger: logging.Logger | None = None) -> None:
    """Give the handlers of ``logger`` (default: the root) the context filter, and the JSON
    formatter when ``log_format`` is ``json``."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
