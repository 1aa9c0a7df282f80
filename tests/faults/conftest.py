"""The REGOS emulator on loopback for the fault and abuse tests of the orders bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actions.regos.emulator import RegosEmulator, RegosEmulatorServer, demo_shop
from tests.shop.conftest import Regos


@pytest.fixture
async def regos() -> AsyncIterator[Regos]:
    emu = RegosEmulator(demo_shop(), stall_seconds=1.5)
    async with RegosEmulatorServer(emu) as server:
        yield Regos(emu, server)
