"""Cart actions: add from the item card, change a line's quantity, remove a line, clear.

One meaning per screen: on the item card a quantity is *added* to what is in the cart
(:func:`add`); in the cart it *sets* the line (:func:`set_quantity`). Any number reaches these
actions (the inputs have no bounds), so a refusal names the real limit: more than 0, whole
numbers for piece goods (unit type ``pcs``), and at most what the stock still allows — for
adding, the stock minus what is already in the cart. Limits are compared before any arithmetic,
so an absurd number (``1e999999999``) is refused, never computed with. Prices are taken fresh
when a line is added and re-checked again just before ordering.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

from actions.shop.cart_store import CartLine, plain
from actions.shop.catalog import is_whole, listing_options
from actions.shop.services import Shop, shop_of
from engine.actions import ActionContext, Result, action

__all__ = ["add", "clear", "line", "remove", "set_quantity", "step", "view"]

CHANGE_OUTCOMES = ("ok", "removed", "whole_only", "out_of_stock", "negative")


async def _item(ctx: ActionContext, shop: Shop, item_id: int) -> dict[str, Any] | None:
    options = listing_options(ctx.settings)
    return await shop.catalog.item(item_id, stock_id=options["stock_id"],
                                   price_type_id=options["price_type_id"],
                                   image_size=options["image_size"])


@action(provides=("lines", "total", "count"))
async def view(ctx: ActionContext) -> Result:
    cart = await shop_of(ctx).carts(ctx.settings).get(ctx.chat.id)
    return Result.ok(**cart.view())


@action(provides=("line",))
async def line(ctx: ActionContext, *, item_id: int) -> Result:
    found = (await shop_of(ctx).carts(ctx.settings).get(ctx.chat.id)).line(item_id)
    return Result.ok(line=found.view() if found else None)


def _room(stock: Decimal, in_cart: Decimal, piece: bool) -> Decimal:
    """How much more of an item the cart may take (whole for piece goods, never below 0)."""
    room = stock - in_cart
    if piece:
        room = room.to_integral_value(ROUND_FLOOR)
    return max(room, Decimal(0))


@action(outcomes=("ok", "whole_only", "out_of_stock", "unavailable", "not_positive"),
        provides=("added",))
async def add(ctx: ActionContext, *, item_id: int, qty: Decimal) -> Result:
    """Add ``qty`` of an item to what the cart already holds, at its current price."""
    if qty <= 0:
        return Result.of("not_positive")
    shop = shop_of(ctx)
    item = await _item(ctx, shop, item_id)
    if item is None or not item["available"]:
        return Result.of("unavailable")
    if item["piece"] and not is_whole(qty):
        return Result.of("whole_only", added={"name": item["name"], "unit": item["unit"]})
    carts = shop.carts(ctx.settings)
    line = (await carts.get(ctx.chat.id)).line(item_id)
    in_cart = line.qty if line else Decimal(0)
    stock = Decimal(item["stock"])
    room = _room(stock, in_cart, item["piece"])
    if qty > room:
        return Result.of("out_of_stock", added={
            "name": item["name"], "unit": item["unit"], "stock": plain(stock),
            "in_cart": plain(in_cart), "room": plain(room)})
    await carts.add(ctx.chat.id, CartLine(item_id, item["name"], Decimal(item["price"]), qty,
                                          item["piece"], item["unit"]))
    return Result.ok(added={"name": item["name"], "qty": plain(qty), "unit": item["unit"],
                            "in_cart": plain(in_cart + qty)})


async def _change(ctx: ActionContext, item_id: int, qty: Decimal) -> Result:
    shop = shop_of(ctx)
    carts = shop.carts(ctx.settings)
    old = (await carts.get(ctx.chat.id)).line(item_id)
    if qty < 0:
        return Result.of("negative")
    if old is None or qty == 0:
        await carts.remove(ctx.chat.id, item_id)
        return Result.of("removed")
    if old.piece and not is_whole(qty):
        return Result.of("whole_only", added={"name": old.name, "unit": old.unit})
    if qty > old.qty:  # more than before: is there enough?
        item = await _item(ctx, shop, item_id)
        stock = Decimal(item["stock"]) if item and item["available"] else Decimal(0)
        if qty > stock:
            return Result.of("out_of_stock", added={"name": old.name, "unit": old.unit,
                                                    "stock": plain(stock)})
    await carts.set_quantity(ctx.chat.id, item_id, qty)
    return Result.ok()


@action(outcomes=CHANGE_OUTCOMES, provides=("added",))
async def set_quantity(ctx: ActionContext, *, item_id: int, qty: Decimal) -> Result:
    """Set a line's quantity to ``qty`` (0 removes it; below 0 is refused)."""
    return await _change(ctx, item_id, qty)


@action(outcomes=CHANGE_OUTCOMES, provides=("added",))
async def step(ctx: ActionContext, *, item_id: int, delta: int) -> Result:
    """One more or one less of a line (down to removing it)."""
    old = (await shop_of(ctx).carts(ctx.settings).get(ctx.chat.id)).line(item_id)
    if old is None:
        return Result.of("removed")
    return await _change(ctx, item_id, max(old.qty + delta, Decimal(0)))


@action()
async def remove(ctx: ActionContext, *, item_id: int) -> Result:
    await shop_of(ctx).carts(ctx.settings).remove(ctx.chat.id, item_id)
    return Result.ok()


@action()
async def clear(ctx: ActionContext) -> Result:
    await shop_of(ctx).carts(ctx.settings).clear(ctx.chat.id)
    return Result.ok()
