"""A notice sent without a locale (serve's order status notices, actions/shop/integration.py)
speaks the language its customer was last answered in; a chat never heard from gets the
scenario's default."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actions.regos.emulator import RegosEmulator, RegosEmulatorServer, demo_shop
from engine.testing import Playground
from tests.shop.conftest import ORDERS, Regos

ORDER = {"order": {"id": 7, "code": "A-7", "status": "Delivered"}}


@pytest.fixture
async def regos() -> AsyncIterator[Regos]:
    emu = RegosEmulator(demo_shop())
    async with RegosEmulatorServer(emu) as server:
        yield Regos(emu, server)


async def test_an_order_status_notice_speaks_the_language_its_customer_used(regos: Regos) -> None:
    async with Playground.open(ORDERS, environ=regos.environ()) as play:
        ann, bob = play.user("Ann", language_code="en"), play.user("Bob", language_code="uz")
        silent = play.user("Cem", language_code="en")  # has never written to the bot
        await ann.send("/start")
        await bob.send("/start")
        for person in (ann, bob, silent):
            await play.app.runtime.notifier.send("order_status", person.chat.id, ORDER)
        assert (ann.last.text or "").startswith("📦 Order ")
        assert (bob.last.text or "").startswith("📦 Buyurtma ")
        assert (silent.last.text or "").startswith("📦 Заказ "), "unknown: the default, ru"


async def test_the_language_remembered_is_the_latest_one(regos: Regos) -> None:
    async with Playground.open(ORDERS, environ=regos.environ()) as play:
        ann = play.user("Ann", language_code="en")
        await ann.send("/start")
        ann.account.language_code = "uz"  # she switched Telegram to Uzbek
        await ann.send("/start")
        await play.app.runtime.notifier.send("order_status", ann.chat.id, ORDER)
        assert (ann.last.text or "").startswith("📦 Buyurtma ")
