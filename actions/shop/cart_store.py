"""The cart: lines kept as JSON in the key-value store, one key per chat, TTL refreshed on change.

Key: ``clients:cart:telegram_bot_orders:{connected_integration_id}:{chat_id}`` (the key of the
earlier implementation, so carts survive a switch). The store is Redis when it answers and
process memory while it does not (:class:`engine.runtime.storage.FallbackKV`), so a Redis outage
never crashes a click. Money and quantities are :class:`~decimal.Decimal`, stored as strings.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.runtime.storage import KeyValueStore

__all__ = ["Cart", "CartLine", "CartStore", "cart_key", "plain"]

log = logging.getLogger("actions.shop.cart")


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``Decimal("2.500")`` -> ``"2.5"``."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"


def cart_key(connected_integration_id: str, chat_id: int) -> str:
    return f"clients:cart:telegram_bot_orders:{connected_integration_id}:{chat_id}"


@dataclass(frozen=True)
class CartLine:
    item_id: int
    name: str
    price: Decimal
    qty: Decimal
    piece: bool = True
    unit: str = ""

    @property
    def amount(self) -> Decimal:
        return self.price * self.qty

    def as_json(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "name": self.name, "price": plain(self.price),
                "qty": plain(self.qty), "piece": self.piece, "unit": self.unit}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CartLine:
        return cls(int(raw["item_id"]), str(raw["name"]), Decimal(str(raw["price"])),
                   Decimal(str(raw["qty"])), bool(raw.get("piece", True)), str(raw.get("unit", "")))

    def view(self) -> dict[str, Any]:
        """What templates see."""
        return {**self.as_json(), "amount": plain(self.amount)}


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def count(self) -> int:
        return len(self.lines)

    def line(self, item_id: int) -> CartLine | None:
        return next((line for line in self.lines if line.item_id == item_id), None)

    def with_line(self, line: CartLine) -> Cart:
        """The cart with ``line`` replacing the line of the same item (or appended)."""
        if self.line(line.item_id) is None:
            return Cart((*self.lines, line))
        return Cart(tuple(line if old.item_id == line.item_id else old for old in self.lines))

    def without(self, item_id: int) -> Cart:
        return Cart(tuple(line for line in self.lines if line.item_id != item_id))

    def view(self) -> dict[str, Any]:
        return {"lines": [line.view() for line in self.lines], "total": plain(self.total),
                "count": self.count}


class CartStore:
    """Carts of one connected integration."""

    def __init__(self, kv: KeyValueStore, connected_integration_id: str, *, ttl: float) -> None:
        self.kv = kv
        self.ci = connected_integration_id
        self.ttl = ttl

    async def get(self, chat_id: int) -> Cart:
        raw = await self.kv.get(cart_key(self.ci, chat_id))
        if not raw:
            return Cart()
        try:
            rows = json.loads(raw)
            return Cart(tuple(CartLine.from_json(row) for row in rows))
        except (ValueError, KeyError, TypeError, InvalidOperation):
            log.warning("unreadable cart of chat %s dropped", chat_id)
            return Cart()

    async def save(self, chat_id: int, cart: Cart) -> Cart:
        key = cart_key(self.ci, chat_id)
        if not cart.lines:
            await self.kv.delete(key)
        else:
            await self.kv.set(key, json.dumps([line.as_json() for line in cart.lines],
                                              ensure_ascii=False), self.ttl)
        return cart

    async def add(self, chat_id: int, line: CartLine) -> Cart:
        """Add ``line.qty`` of an item (to what is already there), with the line's fresh price."""
        cart = await self.get(chat_id)
        old = cart.line(line.item_id)
        if old is not None:
            line = replace(line, qty=old.qty + line.qty)
        return await self.save(chat_id, cart.with_line(line))

    async def set_quantity(self, chat_id: int, item_id: int, qty: Decimal) -> Cart:
        """Set a line's quantity; zero removes the line. An unknown item changes nothing."""
        cart = await self.get(chat_id)
        old = cart.line(item_id)
        if old is None:
            return cart
        if qty <= 0:
            return await self.save(chat_id, cart.without(item_id))
        return await self.save(chat_id, cart.with_line(replace(old, qty=qty)))

    async def remove(self, chat_id: int, item_id: int) -> Cart:
        return await self.save(chat_id, (await self.get(chat_id)).without(item_id))

    async def clear(self, chat_id: int) -> None:
        await self.kv.delete(cart_key(self.ci, chat_id))
