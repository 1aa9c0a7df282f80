"""The orders bot against the REGOS emulator (loopback HTTP) and the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from actions.regos.emulator import (
    DEMO_CONNECTED_INTEGRATION_ID,
    DEMO_INTEGRATION_KEY,
    RegosEmulator,
    RegosEmulatorServer,
    demo_shop,
)
from actions.regos.emulator.shop import ShopItem
from engine.testing import Actor, Playground

ORDERS = Path(__file__).resolve().parents[2] / "scenarios" / "orders.yaml"
#: 12:00 in Tashkent (UTC+5)
NOON = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
KNOWN_PHONE = "998901234567"


@dataclass
class Regos:
    emu: RegosEmulator
    server: RegosEmulatorServer

    def environ(self, **extra: str) -> dict[str, str]:
        return {"REGOS_API_URL": self.server.base_url, "REGOS_INTEGRATION_KEY": DEMO_INTEGRATION_KEY,
                "REGOS_CONNECTED_INTEGRATION_ID": DEMO_CONNECTED_INTEGRATION_ID,
                "REGOS_TIMEOUT": "2", "REGOS_WRITE_TIMEOUT": "0.5", **extra}

    def items(self, where: Callable[[ShopItem], bool] = lambda _: True) -> list[ShopItem]:
        return sorted((i for i in self.emu.shop.items.values() if where(i)), key=lambda i: i.id)

    def stock(self, item: ShopItem) -> Decimal:
        level = item.stock.get(1)
        return level.common - level.booked if level else Decimal(0)

    def piece(self, item: ShopItem) -> bool:
        return self.emu.shop.units[item.unit_id].type == "pcs"

    def orderable(self, item: ShopItem) -> bool:
        return self.stock(item) > 0 and item.prices.get(1, Decimal(0)) > 0


@pytest.fixture
async def regos() -> AsyncIterator[Regos]:
    emu = RegosEmulator(demo_shop(), stall_seconds=1.5)
    async with RegosEmulatorServer(emu) as server:
        yield Regos(emu, server)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOON


@pytest.fixture
async def play(regos: Regos, clock: Callable[[], datetime]) -> AsyncIterator[Playground]:
    async with Playground.open(ORDERS, environ=regos.environ(), clock=clock) as play:
        yield play


async def start(play: Playground, name: str = "Alice") -> Actor:
    user = play.user(name)
    await user.send("/start")
    return user


async def identify(user: Actor, phone: str = KNOWN_PHONE) -> None:
    """Open "my cards" and share one's phone there (the shortest way to link a customer)."""
    await user.click("💳 Карты")
    await user.click("📱 Указать номер")
    await user.share_contact(phone)


async def click_starting(user: Actor, prefix: str) -> None:
    """Click the button of the last message whose label starts with ``prefix``."""
    labels = [b for b in user.buttons() if b.startswith(prefix)]
    assert labels, f"no button starting with {prefix!r} in {user.buttons()}"
    await user.click(labels[0])


async def open_item(user: Actor, item: ShopItem) -> None:
    """(Menu ->) catalog -> search by the item's name -> its card."""
    if "🛍 Каталог" not in user.buttons():
        await user.click("🏠 Меню")
    await user.click("🛍 Каталог")
    await user.send(item.name[:60])
    await click_starting(user, f"{item.name} ·")
