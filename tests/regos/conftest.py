"""The real httpx client against the REGOS emulator on loopback; fake time for waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from actions.regos.api import RegosApi
from actions.regos.client import RegosClient, RetryPolicy
from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from actions.regos.ratelimit import MemoryTokenBucket

CLIENT_TIMEOUT = 0.3
STALL = 2.0


class FakeTime:
    """A clock plus a sleep that advances it instantly (and records every wait)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def emu() -> RegosEmulator:
    emulator = RegosEmulator(demo_shop())
    emulator.stall_seconds = STALL
    return emulator


@pytest.fixture
async def server(emu: RegosEmulator) -> AsyncIterator[RegosEmulatorServer]:
    async with RegosEmulatorServer(emu) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def make_client(http: httpx.AsyncClient, server: RegosEmulatorServer, fake_time: FakeTime, *,
                key: str = DEMO_INTEGRATION_KEY, attempts: int = 3,
                limiter: MemoryTokenBucket | None = None) -> RegosClient:
    return RegosClient(
        http, integration_key=key, connected_integration_id=DEMO_CONNECTED_INTEGRATION_ID,
        base_url=server.base_url,
        rate_limiter=limiter or MemoryTokenBucket(clock=fake_time, sleep=fake_time.sleep),
        timeout=CLIENT_TIMEOUT, write_timeout=CLIENT_TIMEOUT, connect_timeout=CLIENT_TIMEOUT,
        retry=RetryPolicy(attempts=attempts, base_delay=0.05, max_delay=1.0),
        sleep=fake_time.sleep, rnd=lambda: 0.5)


@pytest.fixture
def client(http: httpx.AsyncClient, server: RegosEmulatorServer, fake_time: FakeTime) -> RegosClient:
    return make_client(http, server, fake_time)


@pytest.fixture
def api(client: RegosClient) -> RegosApi:
    return RegosApi(client)
