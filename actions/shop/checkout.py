"""Checkout: work hours, minimum amount, a fresh quote, and one order per checkout at most.

How an order is never created twice:

* every checkout has one ``external_code``, made before the first attempt and kept (in the
  key-value store) until an order with it exists; it is sent with ``DocOrderDelivery/AddFull``;
* before sending, the order is looked up by that code: a retry after a timeout, a second
  process, or a click after a crash finds the order instead of creating another;
* a lock per chat (longer than the longest AddFull call) serialises attempts across processes,
  on top of the engine's per-chat event isolation;
* ``AddFull`` is a write and is never retried blindly: after a timeout or a transport error the
  order is looked up once; if it is not (yet) there the user is told to press "confirm" again,
  which is safe for the reasons above;
* what happens after success (clearing the cart, messages) can fail without re-running AddFull.

Prices and stock are re-read from REGOS right before ordering; any change is shown to the user,
who confirms again. The cart is cleared only after REGOS confirmed the order.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from actions.regos.errors import RegosError, RegosRateLimited, RegosTransportError, RegosValidationError
from actions.shop.cart_store import Cart, plain
from actions.shop.customer import current_customer
from actions.shop.quote import requote
from actions.shop.services import Shop, shop_of
from engine.actions import ActionContext, Result, action

__all__ = ["begin", "is_open", "place", "prepare"]

log = logging.getLogger("actions.shop.checkout")
LOCK_SECONDS = 300
CODE_TTL = 7 * 86400


def is_open(now: datetime, settings: Any) -> bool:
    """Within WORK_TIME_START..WORK_TIME_END in the shop's TIMEZONE (overnight ranges wrap)."""
    if not settings.get("WORK_TIME_ENABLED"):
        return True
    zone = settings.get("TIMEZONE") or ZoneInfo("Asia/Tashkent")
    local = now.astimezone(zone).time().replace(second=0, microsecond=0)
    start: time = settings["WORK_TIME_START"]
    end: time = settings["WORK_TIME_END"]
    if start == end:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _hours(settings: Any) -> dict[str, str]:
    return {"start": settings["WORK_TIME_START"].strftime("%H:%M"),
            "end": settings["WORK_TIME_END"].strftime("%H:%M")}


def _minimum(settings: Any) -> Decimal:
    return Decimal(settings.get("MIN_ORDER_AMOUNT") or 0)


async def _gate(ctx: ActionContext, cart: Cart) -> Result | None:
    """The refusals shared by every step: empty cart, closed, below the minimum."""
    if not cart.lines:
        return Result.of("empty")
    if not is_open(ctx.now(), ctx.settings):
        return Result.of("closed", checkout=_hours(ctx.settings))
    minimum = _minimum(ctx.settings)
    if minimum > 0 and cart.total < minimum:
        return Result.of("below_minimum", checkout={"minimum": plain(minimum),
                                                    "total": plain(cart.total)})
    return None


@action(outcomes=("ok", "empty", "closed", "below_minimum", "need_phone"), provides=("checkout",))
async def begin(ctx: ActionContext) -> Result:
    """Can this cart be ordered now? Then ask where to deliver."""
    cart = await shop_of(ctx).carts(ctx.settings).get(ctx.chat.id)
    refused = await _gate(ctx, cart)
    if refused is not None:
        return refused
    if await current_customer(ctx) is None:
        return Result.of("need_phone")
    return Result.ok(checkout={"total": plain(cart.total)})


async def _code(shop: Shop, chat_id: int) -> str:
    """This chat's checkout code: the same until an order with it exists."""
    key = shop.key("checkout", chat_id)
    code = await shop.kv.get(key)
    if code:
        return code
    code = f"tg-{chat_id}-{uuid.uuid4().hex[:16]}"
    if await shop.kv.set_nx(key, code, CODE_TTL):
        return code
    return await shop.kv.get(key) or code


PREPARE = ("ok", "changed", "empty", "closed", "below_minimum", "need_phone")


@action(outcomes=PREPARE, provides=("quote", "checkout"))
async def prepare(ctx: ActionContext, *, location: dict[str, Any] | None = None,
                  note: str | None = None) -> Result:
    """Re-read prices and stock, adjust the cart, and show what will be ordered."""
    shop = shop_of(ctx)
    carts = shop.carts(ctx.settings)
    customer = await current_customer(ctx)
    if customer is None:
        return Result.of("need_phone")
    cart, changes = await requote(ctx, shop, carts, await carts.get(ctx.chat.id))
    refused = await _gate(ctx, cart)
    if refused is not None:
        return refused
    quote = {
        "lines": [line.view() for line in cart.lines], "total": plain(cart.total),
        "changes": changes, "code": await _code(shop, ctx.chat.id),
        "location": location, "note": (note or "").strip()[:500], "customer": customer,
    }
    return Result.of("changed" if changes else "ok", quote=quote)


def _same(cart: Cart, quote: dict[str, Any]) -> bool:
    seen = [(int(line["item_id"]), Decimal(line["qty"]), Decimal(line["price"]))
            for line in quote.get("lines", [])]
    return seen == [(line.item_id, line.qty, line.price) for line in cart.lines]


def _document(ctx: ActionContext, quote: dict[str, Any], customer: dict[str, Any]) -> dict[str, Any]:
    settings = ctx.settings
    document: dict[str, Any] = {
        "date": int(ctx.now().timestamp()),
        "from_id": int(settings["ORDER_SOURCE_ID"]),
        "customer_id": int(customer["id"]),
        "stock_id": int(settings["STOCK_ID"]),
        "price_type_id": int(settings["PRICE_TYPE_ID"]),
        "external_code": quote["code"],
    }
    if customer.get("phone"):
        document["phone"] = customer["phone"]
    if quote.get("note"):
        document["description"] = quote["note"]
    location = quote.get("location")
    if isinstance(location, dict):
        document["location"] = {"latitude": float(location["latitude"]),
                                "longitude": float(location["longitude"])}
    return document


async def _find(shop: Shop, code: str) -> int | None:
    page = await shop.api.orders(external_code=code, limit=1)
    match = next((o for o in page.items if o.external_code == code), None)
    return match.id if match else None


async def _done(ctx: ActionContext, shop: Shop, order_id: int, quote: dict[str, Any]) -> Result:
    """The order exists: forget the checkout and the cart. Failures here are logged only."""
    order = {"id": order_id, "total": quote["total"], "lines": quote["lines"]}
    try:
        await shop.carts(ctx.settings).clear(ctx.chat.id)
        await shop.kv.delete(shop.key("checkout", ctx.chat.id))
    except Exception:
        log.exception("order %s was created but the cart could not be cleared", order_id)
    return Result.ok(order=order)


PLACE = ("ok", "changed", "empty", "closed", "below_minimum", "need_phone", "in_progress",
         "unknown", "rejected", "busy")


@action(outcomes=PLACE, provides=("order", "quote", "checkout", "failure"))
async def place(ctx: ActionContext, *, quote: dict[str, Any] | None = None) -> Result:
    """Create the order in REGOS, at most once per checkout."""
    if not quote or not quote.get("code"):
        return Result.of("empty")
    shop = shop_of(ctx)
    lock = shop.key("lock", ctx.chat.id)
    if not await shop.kv.set_nx(lock, quote["code"], LOCK_SECONDS):
        return Result.of("in_progress")
    try:
        return await _place(ctx, shop, quote)
    finally:
        await shop.kv.delete(lock)


async def _place(ctx: ActionContext, shop: Shop, quote: dict[str, Any]) -> Result:
    code = str(quote["code"])
    existing = await _find(shop, code)
    if existing is not None:
        log.info("checkout %s already has order %s", code, existing)
        return await _done(ctx, shop, existing, quote)
    customer = await current_customer(ctx)
    if customer is None:
        return Result.of("need_phone")
    carts = shop.carts(ctx.settings)
    cart, changes = await requote(ctx, shop, carts, await carts.get(ctx.chat.id))
    refused = await _gate(ctx, cart)
    if refused is not None:
        return refused
    if changes or not _same(cart, quote):
        fresh = {**quote, "lines": [line.view() for line in cart.lines],
                 "total": plain(cart.total), "changes": changes}
        return Result.of("changed", quote=fresh)
    operations = [{"item_id": line.item_id, "quantity": line.qty, "price": line.price}
                  for line in cart.lines]
    try:
        order_id = await shop.api.add_order(_document(ctx, quote, customer), operations)
    except RegosRateLimited:
        return Result.of("busy")
    except RegosTransportError as exc:  # timeouts included: the order may or may not exist
        log.warning("AddFull for %s ended without an answer (%s); looking it up", code, exc)
        try:
            found = await _find(shop, code)
        except RegosError:
            found = None
        if found is None:
            return Result.of("unknown")
        return await _done(ctx, shop, found, quote)
    except RegosError as exc:
        field = exc.field if isinstance(exc, RegosValidationError) else None
        log.warning("REGOS refused order %s: %s", code, exc)
        return Result.of("rejected", failure={"code": exc.code, "field": field})
    log.info("order %s created for checkout %s", order_id, code)
    return await _done(ctx, shop, order_id, quote)
