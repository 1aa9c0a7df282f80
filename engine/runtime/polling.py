"""``python -m engine run``: one bot, long polling, graceful shutdown.

Start-up asks Telegram who the bot is first (``deleteWebhook`` + ``getMe``): a token Telegram
does not know stops the start before any database or service is touched. Telegram and the
packages' services that do not answer yet are tried again for ``STARTUP_RETRY_SECONDS``
(:mod:`engine.startup`); every failure is an :class:`~engine.errors.EngineError` that the
command line turns into one line.

SIGINT/SIGTERM stop polling; then the background jobs and the updates being handled finish
(:meth:`BotApp.close`) before the database and the HTTP sessions close, so nothing is left
half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import User

from engine.errors import StartupError
from engine.runtime.app import BotApp, build_app, make_bot
from engine.runtime.gc_tuning import settle_after_startup
from engine.runtime.pacing import Pacing
from engine.runtime.storage import create_storage
from engine.scenario.pipeline import ScenarioBundle
from engine.startup import StartupRetry

__all__ = ["connect_telegram", "run_polling"]

log = logging.getLogger("engine.run")
TELEGRAM = "the Telegram Bot API"
UNREACHABLE_HINT = "check TELEGRAM_API_URL (unset: https://api.telegram.org) and the network"


def _telegram_transient(exc: BaseException) -> bool:
    return isinstance(exc, TelegramNetworkError | TelegramServerError | TelegramRetryAfter)


async def connect_telegram(bot: Bot, retry: StartupRetry) -> User:
    """The bot's own user, once Telegram answers; webhooks are switched off for polling."""
    async def attempt() -> User:
        await bot.delete_webhook(drop_pending_updates=False)
        return await bot.get_me()

    try:
        return await retry.run(TELEGRAM, attempt, transient=_telegram_transient,
                               hint=lambda _: UNREACHABLE_HINT)
    except TelegramUnauthorizedError:
        raise StartupError("Telegram does not know this BOT_TOKEN (401 Unauthorized)",
                           hint="copy the token again from @BotFather") from None
    except AiogramError as exc:
        raise StartupError(f"{TELEGRAM} refused the start: {exc}",
                           hint=f"is TELEGRAM_API_URL a Bot API server? {UNREACHABLE_HINT}") from exc


async def _start(bundle: ScenarioBundle, bot: Bot, environ: Mapping[str, str],
                 retry: StartupRetry) -> BotApp:
    me = await connect_telegram(bot, retry)
    storage = await create_storage(environ.get("REDIS_URL"))
    try:
        app = await build_app(bundle, bot, storage, environ=environ, retry=retry)
    except BaseException:
        await storage.close()
        raise
    log.warning("bot @%s runs scenario %s", me.username, bundle.scenario.scenario)
    return app


async def run_polling(bundle: ScenarioBundle, token: str, environ: Mapping[str, str]) -> None:
    retry = StartupRetry.from_environ(environ)
    bot = make_bot(token, environ.get("TELEGRAM_API_URL"))
    bot.session.middleware(Pacing.from_environ(environ))  # outgoing limits; 429s waited out
    try:
        app = await _start(bundle, bot, environ, retry)
    except BaseException:
        await bot.session.close()
        raise
    settle_after_startup()  # what start-up built lives for good: out of the collector's way
    try:
        app.jobs.start()
        await app.dispatcher.start_polling(
            bot, allowed_updates=app.dispatcher.resolve_used_update_types(),
            handle_signals=True, close_bot_session=False,
        )
    finally:
        await app.close()
