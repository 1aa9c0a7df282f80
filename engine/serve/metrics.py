"""What ``serve`` counts, in Prometheus's format (prometheus-client).

One :class:`~prometheus_client.CollectorRegistry` per server (never the process-global default
one: tests and several servers in one process stay apart). Two hooks feed it:

* :class:`UpdateMetrics`, a dispatcher middleware: updates by bot and type, and how long each
  took to handle (registered after the engine's own middlewares, so a duplicate dropped by the
  dedupe is not counted);
* :class:`ApiMetrics`, a Bot session middleware: Bot API calls and errors by bot and method, and
  the 429s (``retry_after``) among them;

plus the webhook's refusals (bad secret, not JSON, not an Update, too large), counted by the
request handler.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric

from engine.health import MetricsExport

__all__ = ["CONTENT_TYPE_LATEST", "ApiMetrics", "Metrics", "UpdateMetrics"]

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Metrics:
    """The server's registry and its metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("tgflow_updates", "Updates handled, by bot and update type",
                               ["bot", "type"], registry=r)
        self.handling = Histogram("tgflow_update_handling_seconds",
                                  "Time to handle one update, by bot", ["bot"], registry=r,
                                  buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.api_calls = Counter("tgflow_bot_api_calls", "Bot API calls, by bot and method",
                                 ["bot", "method"], registry=r)
        self.api_errors = Counter("tgflow_bot_api_errors",
                                  "Bot API calls that failed, by bot, method and error",
                                  ["bot", "method", "error"], registry=r)
        self.api_retry_after = Counter("tgflow_bot_api_retry_after",
                                       "Bot API calls answered 429 (retry_after), by bot and method",
                                       ["bot", "method"], registry=r)
        self.refused = Counter("tgflow_webhook_refused",
                               "Webhook requests refused, by bot and reason (secret, not_json, "
                               "not_update, too_large; unknown_bot with bot '-')",
                               ["bot", "reason"], registry=r)
        self.window_entries = Counter("tgflow_window_entries",
                                      "Users entering a window (the funnel), by bot and window "
                                      "(dialog.window)", ["bot", "window"], registry=r)
        self.window_moves = Counter("tgflow_window_moves",
                                    "Users going from one window to another, by bot; entries "
                                    "minus moves away: where users stopped", ["bot", "window", "to"],
                                    registry=r)
        self.packages: dict[str, MetricsExport] = {}  # by bot: what its packages offer
        r.register(_PackageCollector(self.packages))

    def funnel_listener(self, bot: str) -> Callable[[str, str | None], None]:
        """What a bot's :class:`~engine.runtime.funnel.Funnel` tells: an entry (and a move)."""
        def heard(window: str, came_from: str | None) -> None:
            self.window_entries.labels(bot, window).inc()
            if came_from is not None:
                self.window_moves.labels(bot, came_from, window).inc()
        return heard

    def package_export(self, bot: str) -> MetricsExport:
        """A new bot's :class:`~engine.health.MetricsExport` (replacing a stopped one's)."""
        self.packages[bot] = MetricsExport()
        return self.packages[bot]

    def exposition(self) -> bytes:
        """The text format ``/metrics`` answers with."""
        return generate_latest(self.registry)


class UpdateMetrics:
    """Dispatcher outer middleware: one update counted and timed."""

    def __init__(self, metrics: Metrics, bot: str) -> None:
        self.metrics, self.bot = metrics, bot

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        self.metrics.updates.labels(self.bot, kind).inc()
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self.metrics.handling.labels(self.bot).observe(time.perf_counter() - started)


class ApiMetrics(BaseRequestMiddleware):
    """Bot session middleware: every call counted, failures by kind, 429s apart."""

    def __init__(self, metrics: Metrics, bot: str) -> None:
        self.metrics, self.bot = metrics, bot

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        name = method.__api_method__
        self.metrics.api_calls.labels(self.bot, name).inc()
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self.metrics.api_retry_after.labels(self.bot, name).inc()
            self.metrics.api_errors.labels(self.bot, name, "retry_after").inc()
            raise
        except TelegramNetworkError:
            self.metrics.api_errors.labels(self.bot, name, "network").inc()
            raise
        except TelegramAPIError as exc:
            self.metrics.api_errors.labels(self.bot, name, type(exc).__name__).inc()
            raise


class _PackageCollector:
    """The packages' metrics of every bot, families of the same name from several bots merged."""

    def __init__(self, exports: dict[str, MetricsExport]) -> None:
        self.exports = exports

    def describe(self) -> list[Metric]:
        return []  # names come and go with the bots: never checked for clashes at registration

    def collect(self) -> list[Metric]:
        merged: dict[str, Metric] = {}
        for bot, export in list(self.exports.items()):
            for family in export.collect(bot):
                if family.name in merged:
                    merged[family.name].samples.extend(family.samples)
                else:
                    merged[family.name] = family
        return list(merged.values())
