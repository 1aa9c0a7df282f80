"""The order attempt whose outcome is not known yet: its ``external_code`` and the exact lines sent.

An ``external_code`` belongs to the lines it was sent with. It is kept (in the key-value store,
one record per chat) from just before ``DocOrderDelivery/AddFull`` until REGOS answered for sure:
the order exists, or it was refused. While it is kept, every new attempt first looks it up:

* found: that order, with exactly those lines (AddFull is all-or-nothing), is what REGOS holds,
  whatever the cart holds now; those quantities leave the cart and the rest stays;
* not found: a cart with the same lines retries under the same code, a changed cart is a new
  checkout with a new code.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from actions.shop.cart_store import Cart
from actions.shop.services import Shop

__all__ = ["Attempt", "forget", "load", "new_code", "remaining", "same_lines", "save"]

TTL = 7 * 86400


@dataclass(frozen=True)
class Attempt:
    code: str
    #: the lines sent (cart line views); ``None`` for a record of an older version (code only)
    lines: list[dict[str, Any]] | None


def _key(shop: Shop, chat_id: int) -> str:
    return shop.key("checkout", chat_id)


def new_code(chat_id: int) -> str:
    return f"tg-{chat_id}-{uuid.uuid4().hex[:16]}"


async def load(shop: Shop, chat_id: int) -> Attempt | None:
    raw = await shop.kv.get(_key(shop, chat_id))
    if not raw:
        return None
    try:
        record = json.loads(raw)
        return Attempt(str(record["code"]), list(record["lines"]))
    except (ValueError, KeyError, TypeError):
        return Attempt(raw, None)  # a bare code, written before lines were recorded


async def save(shop: Shop, chat_id: int, attempt: Attempt) -> None:
    record = {"code": attempt.code, "lines": attempt.lines}
    await shop.kv.set(_key(shop, chat_id), json.dumps(record, ensure_ascii=False), TTL)


async def forget(shop: Shop, chat_id: int) -> None:
    await shop.kv.delete(_key(shop, chat_id))


def _keyed(lines: list[dict[str, Any]]) -> list[tuple[int, Decimal, Decimal]]:
    return [(int(line["item_id"]), Decimal(str(line["qty"])), Decimal(str(line["price"])))
            for line in lines]


def same_lines(cart: Cart, lines: list[dict[str, Any]] | None) -> bool:
    """Whether ``lines`` are exactly the cart's lines: items, quantities and prices, in order."""
    return lines is not None and _keyed(lines) == [(line.item_id, line.qty, line.price)
                                                   for line in cart.lines]


def remaining(cart: Cart, ordered: list[dict[str, Any]] | None) -> Cart:
    """The cart without what an order holds (its quantities subtracted, emptied lines dropped)."""
    taken: dict[int, Decimal] = {}
    for item_id, qty, _price in _keyed(ordered or []):
        taken[item_id] = taken.get(item_id, Decimal(0)) + qty
    lines = []
    for line in cart.lines:
        left = line.qty - taken.get(line.item_id, Decimal(0))
        if left > 0:
            lines.append(line if left == line.qty else replace(line, qty=left))
    return Cart(tuple(lines))
