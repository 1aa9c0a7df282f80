"""An in-process aiogram session that talks to the emulator without sockets.

Requests are serialised exactly as aiogram's ``AiohttpSession.build_form_data`` does (form fields
from ``BaseSession.prepare_value``, files under random ``attach://`` names) and handed to the same
:func:`~.dispatch.dispatch` the HTTP server uses, so validation and replies are identical; errors
go through ``BaseSession.check_response`` and raise the usual aiogram exceptions.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from .dispatch import dispatch
from .uploads import Upload
from .world import World

if TYPE_CHECKING:
    from aiogram import Bot

_FILE_URL_RE = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


class EmulatorSession(BaseSession):
    """``Bot(token, session=EmulatorSession(world))`` runs every call against ``world``."""

    def __init__(self, world: World, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.world = world

    async def build_request(
        self, bot: Bot, method: TelegramMethod[TelegramType]
    ) -> tuple[dict[str, Any], dict[str, Upload]]:
        """The form fields and file parts ``AiohttpSession`` would post."""
        fields: dict[str, Any] = {}
        files: dict[str, InputFile] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if not prepared:
                continue
            fields[key] = prepared
        uploads: dict[str, Upload] = {}
        for key, input_file in files.items():
            chunks = [chunk async for chunk in input_file.read(bot)]
            uploads[key] = Upload(key, input_file.filename or key, b"".join(chunks))
        return fields, uploads

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        fields, uploads = await self.build_request(bot, method)
        reply = await dispatch(self.world, bot.token, method.__api_method__, fields, uploads)
        response = self.check_response(
            bot=bot,
            method=method,
            status_code=reply.status,
            content=self.json_dumps(reply.body),
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """Serve ``bot.download`` from the emulator's file store."""
        match = _FILE_URL_RE.search(url)
        stored = None
        if match is not None and match.group("token") in self.world.bots:
            stored = self.world.files.at_path(match.group("path"))
        if stored is None or stored.data is None:
            if raise_for_status:
                raise FileNotFoundError(f"the emulator has no file at {url}")
            return
        data = stored.data
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    async def close(self) -> None:
        """Nothing to release."""
