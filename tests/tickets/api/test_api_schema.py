"""Schemathesis against the served OpenAPI document: generated requests (valid and invalid) to every
operation of a live VIN desk on 127.0.0.1 never get a 5xx, and every answer matches the document
(status codes, content types, bodies, headers)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from actions.tickets.api.keys import hash_key
from actions.tickets.api.openapi import DOCUMENT

from ..desk_kit import open_desk

KEY = "vdk_schemathesis-key-0123456789abcdef0123456789"
schema = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance, checks.ignored_auth]


class LiveDesk:
    """The VIN desk with its API, on a private event loop in a thread (schemathesis calls are
    blocking)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="live-desk", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            environ = {"API_KEYS": f"fuzz:{hash_key(KEY)}", "TICKETS_PER_HOUR": "3"}
            async with open_desk(f"sqlite+aiosqlite:///{self.database}", extra_env=environ,
                                 http=True) as desk:
                self.url = desk.play.http_url
                self._ready.set()
                await self._stop.wait()

        try:
            asyncio.run(main())
        except BaseException as exc:
            self._failure.append(exc)
            self._ready.set()

    def __enter__(self) -> LiveDesk:
        self._thread.start()
        self._ready.wait(60)
        if self._failure:
            raise self._failure[0]
        return self

    def __exit__(self, *_: Any) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="module")
def live_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDesk]:
    with LiveDesk(tmp_path_factory.mktemp("api") / "desk.db") as desk:
        yield desk


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document_and_none_is_a_server_error(
    case: schemathesis.Case, live_desk: LiveDesk,
) -> None:
    case.call_and_validate(base_url=live_desk.url, headers={"Authorization": f"Bearer {KEY}"},
                           checks=CHECKS)
