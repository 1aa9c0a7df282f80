"""The VIN desk with its admin panel on 127.0.0.1 and an account; a logged-in httpx client."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from actions.tickets.desk_service import Desk as DeskService
from actions.tickets.panel.security import hash_password

from ..desk_kit import Desk, open_desk

PASSWORD = "correct horse battery staple"
ENGLISH = {"Accept-Language": "en"}


def service(desk: Desk) -> DeskService:
    return desk.play.app.runtime.services.get(DeskService)


@contextlib.asynccontextmanager
async def panel_desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}", http=True) as desk:
        assert await service(desk).store.add_account("root", hash_password(PASSWORD))
        yield desk


def hidden(html: str, name: str = "csrf") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match is not None, f"no {name} field in the page"
    return match.group(1)


@contextlib.asynccontextmanager
async def logged_in(desk: Desk, password: str = PASSWORD) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=desk.play.http_url, headers=ENGLISH) as client:
        page = await client.get("/admin/login")
        reply = await client.post("/admin/login", data={"csrf": hidden(page.text), "name": "root",
                                                        "password": password})
        assert reply.status_code == 303, reply.text
        yield client
