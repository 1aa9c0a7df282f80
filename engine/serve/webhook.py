"""One bot's webhook endpoint: aiogram's :class:`SimpleRequestHandler`, made strict.

aiogram's handler already compares the ``X-Telegram-Bot-Api-Secret-Token`` header in constant
time (``secrets.compare_digest``) and can handle updates in the background; what it lacks, added
here:

* the comparison is made on bytes: on str, ``compare_digest`` raises for non-ASCII text, so a
  forged header such as ``sécret`` was a 500 with a traceback, not a 401;

* a refused request is counted and logged (``tgflow_webhook_refused{reason=...}``);
* a body that is not JSON, or not an Update, is answered 400 (aiogram would fail with a 500, or
  later in a background task nobody watches); a body over the server's ``client_max_size`` is 413;
* the update is validated before it is acknowledged, then handled in the background, so Telegram
  gets its answer at once and one slow bot never holds up another's requests;
* :meth:`drain` waits for the updates being handled (graceful stop) and leaves the Bot session to
  the bot's own shutdown (aiogram's ``close`` would close it under the running updates).

aiogram's multi-bot ``TokenBasedRequestHandler`` does not fit: it puts the token in the URL (and
so in proxies' logs), checks no secret, creates a Bot for any token a request names, and feeds
every bot into one dispatcher; here each bot has its own dispatcher, path and secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from engine.logs import bind_update
from engine.serve.metrics import Metrics

__all__ = ["MAX_BODY", "SECRET_HEADER", "BotWebhook", "webhook_secret"]

log = logging.getLogger("engine.serve.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: the largest request body the server reads (an Update is a few kilobytes)
MAX_BODY = 1024 * 1024


def webhook_secret(name: str, token: str, master: str | None) -> str:
    """The ``secret_token`` of one bot's webhook: derived from ``master`` (WEBHOOK_SECRET) when
    set, so every process of a deployment registers and expects the same one; random otherwise
    (one process: a restart registers a new one)."""
    if not master:
        return secrets.token_urlsafe(32)
    digest = hmac.new(master.encode(), f"{name}\0{token}".encode(), hashlib.sha256)
    return digest.hexdigest()


class BotWebhook(SimpleRequestHandler):
    """``POST /webhook/{name}`` of one bot."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, *, name: str, secret: str,
                 metrics: Metrics, **data: Any) -> None:
        super().__init__(dispatcher, bot, handle_in_background=True, secret_token=secret, **data)
        self.name = name
        self.metrics = metrics

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        """aiogram's check, on bytes: ``compare_digest`` refuses str with non-ASCII characters
        (a forged header would be a 500 and a traceback instead of a 401)."""
        expected = (self.secret_token or "").encode()
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return bool(expected) and secrets.compare_digest(given, expected)

    def _refuse(self, request: web.Request, status: int, reason: str, detail: str) -> web.Response:
        self.metrics.refused.labels(self.name, reason).inc()
        log.warning("bot %s: webhook request from %s refused (%d, %s): %s", self.name,
                    request.remote, status, reason, detail, extra={"bot": self.name})
        return web.json_response({"ok": False, "error": detail}, status=status)

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            return self._refuse(request, 401, "secret", f"missing or wrong {SECRET_HEADER}")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(request, 413, "too_large",
                                f"the body is over {MAX_BODY} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
            return self._refuse(request, 400, "not_json", "the body is not JSON")
        try:
            update = Update.model_validate(body, context={"bot": self.bot})
        except ValidationError as exc:
            return self._refuse(request, 400, "not_update",
                                f"the body is not an Update ({exc.error_count()} problem(s))")
        task = asyncio.create_task(self._feed(update), name=f"update:{self.name}:{update.update_id}")
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({})

    async def _feed(self, update: Update) -> None:
        bind_update(self.name, update.update_id)  # this task's log lines name the bot and update
        try:
            result = await self.dispatcher.feed_update(self.bot, update, **self.data)
            if isinstance(result, TelegramMethod):
                await self.dispatcher.silent_call_request(bot=self.bot, result=result)
        except Exception:  # the dispatcher's error handlers had their turn: log, never lose it
            log.exception("bot %s: update %s failed", self.name, update.update_id)

    async def drain(self, timeout: float) -> bool:
        """Wait for the updates being handled; false when some still run after ``timeout``."""
        tasks = set(self._background_feed_update_tasks)
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending

    async def close(self) -> None:
        """Nothing to close here: the bot's own shutdown closes its session."""
