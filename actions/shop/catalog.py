"""The catalog: categories, search, server-side pages of ``Item/GetExt``, the item card.

Window loads never raise on a REGOS failure: they return ``error`` (``unavailable`` or
``busy``) and the templates say so, so the user always sees a screen and a way back.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from actions.regos.errors import RegosError, RegosRateLimited
from actions.shop.cart_store import plain
from actions.shop.services import shop_of
from engine.actions import ActionContext, Result, action

__all__ = ["choose_group", "groups", "item", "page", "search"]

log = logging.getLogger("actions.shop.catalog")


def error_code(exc: RegosError) -> str:
    return "busy" if isinstance(exc, RegosRateLimited) else "unavailable"


def listing_options(settings: Any) -> dict[str, Any]:
    """``Item/GetExt`` options from the settings (SHOW_* → zero_quantity / has_image)."""
    return {
        "stock_id": int(settings["STOCK_ID"]),
        "price_type_id": int(settings["PRICE_TYPE_ID"]),
        "zero_quantity": bool(settings["SHOW_ZERO_QUANTITY"]),
        "has_image": None if settings["SHOW_WITHOUT_IMAGES"] else True,
        "image_size": str(settings["IMAGE_SIZE"]),
    }


@action(provides=("groups", "error"))
async def groups(ctx: ActionContext) -> Result:
    try:
        found = await shop_of(ctx).catalog.groups()
    except RegosError as exc:
        log.warning("item groups unavailable: %s", exc)
        return Result.ok(groups=[], error=error_code(exc))
    found.sort(key=lambda g: (g["path"] or g["name"]).casefold())
    return Result.ok(groups=found, error=None)


@action(provides=("query", "group_id", "group_name"))
async def search(ctx: ActionContext, *, query: str) -> Result:
    """Search the whole catalog (a search never keeps the previously chosen category)."""
    return Result.ok(query=" ".join(query.split())[:64], group_id=None, group_name=None)


@action(provides=("query", "group_id", "group_name"))
async def choose_group(ctx: ActionContext, *, group_id: int) -> Result:
    """Browse one category (0: everything)."""
    name = None
    if group_id:
        try:
            known = {g["id"]: g for g in await shop_of(ctx).catalog.groups()}
            name = (known.get(group_id) or {}).get("name")
        except RegosError:
            name = None
    return Result.ok(query=None, group_id=group_id or None, group_name=name)


@action(provides=("items", "total", "total_pages", "error"))
async def page(ctx: ActionContext, *, group_id: int | None = None, query: str | None = None,
               page: int = 0, page_size: int = 6) -> Result:
    """One page of items (``page`` is 0-based), filtered by REGOS itself, never client-side."""
    size = max(1, min(page_size, 20))
    try:
        found = await shop_of(ctx).catalog.page(
            **listing_options(ctx.settings), search=query or None, group_id=group_id,
            limit=size, offset=max(0, page) * size)
    except RegosError as exc:
        log.warning("catalog page unavailable: %s", exc)
        return Result.ok(items=[], total=0, total_pages=1, error=error_code(exc))
    total = int(found["total"])
    return Result.ok(items=found["items"], total=total, total_pages=max(1, -(-total // size)),
                     error=None)


@action(provides=("item", "in_cart", "error"))
async def item(ctx: ActionContext, *, item_id: int) -> Result:
    """The item card: picture, name, price, stock, and how many are already in the cart."""
    shop = shop_of(ctx)
    options = listing_options(ctx.settings)
    try:
        found = await shop.catalog.item(item_id, stock_id=options["stock_id"],
                                        price_type_id=options["price_type_id"],
                                        image_size=options["image_size"])
    except RegosError as exc:
        return Result.ok(item=None, in_cart=None, error=error_code(exc))
    line = (await shop.carts(ctx.settings).get(ctx.chat.id)).line(item_id)
    return Result.ok(item=found, in_cart=plain(line.qty) if line else None,
                     error=None if found else "gone")


def is_whole(qty: Decimal) -> bool:
    return qty == qty.to_integral_value()
