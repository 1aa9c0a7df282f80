"""Webhook mode: a bot's updates POSTed to the URL it gave ``setWebhook``, as Telegram does.

* one update per request, JSON, in ``update_id`` order, with ``X-Telegram-Bot-Api-Secret-Token``
  when the bot set a ``secret_token``;
* a 2xx answer confirms the update; anything else (another status, no connection, a timeout) keeps
  it pending and is tried again after a pause (0.2 s, doubling up to 5 s), the last error kept for
  ``getWebhookInfo`` (``last_error_date``, ``last_error_message``);
* ``deleteWebhook`` (or ``setWebhook`` with an empty URL) stops delivering; pending updates then
  wait for ``getUpdates``;
* only loopback addresses are called (the emulator never reaches the network): a webhook
  elsewhere keeps its updates pending, and ``getWebhookInfo`` says why.

Telegram only calls ``https://`` URLs; a world made with ``allow_http_webhooks=True`` also calls
``http://`` ones, so a test can point a bot at a server on loopback.
Every attempt is recorded in :attr:`WebhookDelivery.attempts` for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from .records import BotAccount
from .updates import QueuedUpdate

if TYPE_CHECKING:
    from .world import World

__all__ = ["SECRET_HEADER", "DeliveryAttempt", "WebhookDelivery"]

log = logging.getLogger("engine.botapi.webhooks")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_PAUSE = 0.2
MAX_PAUSE = 5.0
REQUEST_TIMEOUT = 10.0


LOOPBACK_ONLY = "the emulator delivers updates only to loopback addresses (127.0.0.1, ::1, localhost)"


def _loopback(url: str) -> bool:
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One POST of an update to a webhook: the HTTP status, or ``error`` when none came."""

    token: str
    update_id: int
    url: str
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookDelivery:
    """The delivery tasks of a world's bots (one per bot with a webhook, on the loop that set it)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.attempts: list[DeliveryAttempt] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, bot: BotAccount) -> None:
        """Deliver ``bot``'s updates from now on (its webhook is set); idempotent.

        Only loopback addresses are called: the emulator never reaches the network, and a
        webhook elsewhere keeps its updates pending, with the reason in ``last_error_message``.
        """
        url = str((bot.webhook or {}).get("url", ""))
        if not _loopback(url):
            if bot.webhook is not None:
                bot.webhook["last_error_message"] = LOOPBACK_ONLY
            return
        loop = asyncio.get_running_loop()
        task = self._tasks.get(bot.token)
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._tasks[bot.token] = loop.create_task(self._deliver(bot), name=f"webhook:{bot.id}")

    async def stop(self) -> None:
        """Stop every delivery task (the server is stopping); pending updates stay queued."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            if task.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _deliver(self, bot: BotAccount) -> None:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        pause = FIRST_PAUSE
        me = asyncio.current_task()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            # Python 3.11's wait_for may swallow a cancel: the loop also ends once stop() forgot it
            while bot.webhook is not None and self._tasks.get(bot.token) is me:
                batch = bot.queue.take(1)
                if not batch:
                    await bot.queue.wait_for_updates(1.0)
                    continue
                if await self._post(session, bot, batch[0]):
                    bot.queue.confirm_below(batch[0].update_id + 1)
                    pause = FIRST_PAUSE
                    continue
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
        if bot.webhook is not None and self._tasks.get(bot.token) is me:
            # the webhook was deleted and set again while this task was ending (closing its
            # session): start() saw it still running and left the new webhook to it
            del self._tasks[bot.token]
            self.start(bot)

    async def _post(self, session: aiohttp.ClientSession, bot: BotAccount,
                    update: QueuedUpdate) -> bool:
        hook = bot.webhook or {}
        url = str(hook.get("url", ""))
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers[SECRET_HEADER] = str(hook["secret_token"])
        try:
            async with session.post(url, data=json.dumps(update.payload), headers=headers) as reply:
                attempt = DeliveryAttempt(bot.token, update.update_id, url, reply.status)
                if not attempt.ok:
                    self._failed(bot, attempt, f"Wrong response from the webhook: "
                                               f"{reply.status} {reply.reason}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            attempt = DeliveryAttempt(bot.token, update.update_id, url, None,
                                      str(exc) or type(exc).__name__)
            self._failed(bot, attempt, f"Connection failed: {attempt.error}")
        self.attempts.append(attempt)
        return attempt.ok

    def _failed(self, bot: BotAccount, attempt: DeliveryAttempt, message: str) -> None:
        if bot.webhook is not None:
            bot.webhook["last_error_date"] = self.world.now()
            bot.webhook["last_error_message"] = message
        log.debug("webhook of bot %s refused update %s: %s", bot.id, attempt.update_id, message)
