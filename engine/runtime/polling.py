"""``python -m engine run``: one bot, long polling, graceful shutdown.

SIGINT/SIGTERM stop polling; then the background jobs and the updates being handled finish
(:meth:`BotApp.close`) before the database and the HTTP sessions close, so nothing is left
half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from engine.runtime.app import build_app, make_bot
from engine.runtime.storage import create_storage
from engine.scenario.pipeline import ScenarioBundle

__all__ = ["run_polling"]

log = logging.getLogger("engine.run")


async def run_polling(bundle: ScenarioBundle, token: str, environ: Mapping[str, str]) -> None:
    storage = await create_storage(environ.get("REDIS_URL"))
    bot = make_bot(token, environ.get("TELEGRAM_API_URL"))
    app = await build_app(bundle, bot, storage, environ=environ)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        me = await bot.get_me()
        log.warning("bot @%s runs scenario %s", me.username, bundle.scenario.scenario)
        app.jobs.start()
        await app.dispatcher.start_polling(
            bot, allowed_updates=app.dispatcher.resolve_used_update_types(),
            handle_signals=True, close_bot_session=False,
        )
    finally:
        await app.close()
