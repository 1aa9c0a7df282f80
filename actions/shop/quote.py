"""Re-reading the cart against REGOS just before ordering: current prices and stock.

Every difference is returned as a change the user sees: a new price, less stock (the
quantity is lowered to what is left, whole for piece goods), or an item no longer sold
(removed). The cart is saved with the fresh values.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from actions.shop.cart_store import Cart, CartLine, CartStore, plain
from actions.shop.catalog import listing_options
from actions.shop.services import Shop
from engine.actions import ActionContext

__all__ = ["requote"]


async def requote(ctx: ActionContext, shop: Shop, carts: CartStore,
                  cart: Cart) -> tuple[Cart, list[dict[str, Any]]]:
    if not cart.lines:
        return cart, []
    options = listing_options(ctx.settings)
    fresh = await shop.catalog.fresh_items([line.item_id for line in cart.lines],
                                           stock_id=options["stock_id"],
                                           price_type_id=options["price_type_id"])
    changes: list[dict[str, Any]] = []
    lines: list[CartLine] = []
    for line in cart.lines:
        item = fresh.get(line.item_id)
        if item is None or not item["available"]:
            changes.append({"kind": "gone", "name": line.name})
            continue
        price, stock = Decimal(item["price"]), Decimal(item["stock"])
        qty = line.qty
        if qty > stock:
            qty = stock.to_integral_value(ROUND_FLOOR) if line.piece else stock
            if qty <= 0:
                changes.append({"kind": "gone", "name": line.name})
                continue
            changes.append({"kind": "less", "name": line.name, "was": plain(line.qty),
                            "now": plain(qty)})
        if price != line.price:
            changes.append({"kind": "price", "name": line.name, "was": plain(line.price),
                            "now": plain(price)})
        lines.append(replace(line, price=price, qty=qty, name=item["name"]))
    updated = Cart(tuple(lines))
    if updated != cart:
        await carts.save(ctx.chat.id, updated)
    return updated, changes
