"""Cart actions: add from the item card, change a line's quantity, remove a line, clear.

Quantities of piece goods (unit type ``pcs``) must be whole numbers; weighed goods may be
fractional. Adding checks the current stock (``quantity.allowed``) so the cart never promises
what the shop does not have; prices are taken fresh when a line is added and re-checked again
just before ordering.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from actions.shop.cart_store import CartLine, plain
from actions.shop.catalog import is_whole, listing_options
from actions.shop.services import Shop, shop_of
from engine.actions import ActionContext, Result, action

__all__ = ["add", "clear", "line", "remove", "set_quantity", "step", "view"]

CHANGE_OUTCOMES = ("ok", "removed", "whole_only", "out_of_stock")


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


@action(outcomes=("ok", "whole_only", "out_of_stock", "unavailable"), provides=("added",))
async def add(ctx: ActionContext, *, item_id: int, qty: Decimal) -> Result:
    """Add ``qty`` of an item to the cart at its current price."""
    shop = shop_of(ctx)
    item = await _item(ctx, shop, item_id)
    if item is None or not item["available"] or qty <= 0:
        return Result.of("unavailable")
    if item["piece"] and not is_whole(qty):
        return Result.of("whole_only", added={"name": item["name"], "qty": plain(qty)})
    carts = shop.carts(ctx.settings)
    in_cart = (await carts.get(ctx.chat.id)).line(item_id)
    wanted = qty + (in_cart.qty if in_cart else 0)
    stock = Decimal(item["stock"])
    if wanted > stock:
        return Result.of("out_of_stock", added={"name": item["name"], "qty": plain(qty),
                                                "stock": plain(stock)})
    await carts.add(ctx.chat.id, CartLine(item_id, item["name"], Decimal(item["price"]), qty,
                                          item["piece"], item["unit"]))
    return Result.ok(added={"name": item["name"], "qty": plain(qty), "in_cart": plain(wanted)})


async def _change(ctx: ActionContext, item_id: int, qty: Decimal) -> Result:
    shop = shop_of(ctx)
    carts = shop.carts(ctx.settings)
    old = (await carts.get(ctx.chat.id)).line(item_id)
    if old is None or qty <= 0:
        await carts.remove(ctx.chat.id, item_id)
        return Result.of("removed")
    if old.piece and not is_whole(qty):
        return Result.of("whole_only")
    if qty > old.qty:  # more than before: is there enough?
        item = await _item(ctx, shop, item_id)
        if item is None or not item["available"] or qty > Decimal(item["stock"]):
            stock = item["stock"] if item else "0"
            return Result.of("out_of_stock", added={"name": old.name, "qty": plain(qty),
                                                    "stock": stock})
    await carts.set_quantity(ctx.chat.id, item_id, qty)
    return Result.ok()


@action(outcomes=CHANGE_OUTCOMES, provides=("added",))
async def set_quantity(ctx: ActionContext, *, item_id: int, qty: Decimal) -> Result:
    """Set a line's quantity (0 removes it)."""
    return await _change(ctx, item_id, qty)


@action(outcomes=CHANGE_OUTCOMES, provides=("added",))
async def step(ctx: ActionContext, *, item_id: int, delta: int) -> Result:
    """One more or one less of a line (down to removing it)."""
    old = (await shop_of(ctx).carts(ctx.settings).get(ctx.chat.id)).line(item_id)
    if old is None:
        return Result.of("removed")
    return await _change(ctx, item_id, old.qty + delta)


@action()
async def remove(ctx: ActionContext, *, item_id: int) -> Result:
    await shop_of(ctx).carts(ctx.settings).remove(ctx.chat.id, item_id)
    return Result.ok()


@action()
async def clear(ctx: ActionContext) -> Result:
    await shop_of(ctx).carts(ctx.settings).clear(ctx.chat.id)
    return Result.ok()
