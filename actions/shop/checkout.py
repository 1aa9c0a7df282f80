"""Checkout: work hours, minimum amount, a fresh quote, and one order per checkout at most.

How an order is never created twice:

* every attempt sends an ``external_code`` with ``DocOrderDelivery/AddFull``, bound to the exact
  lines sent (:mod:`actions.shop.attempt`) and kept until REGOS answered for sure;
* while an attempt's outcome is unknown, the next one first looks its code up: a retry after a
  timeout, a second process, or a click after a crash finds the order instead of creating
  another — and shows it as REGOS holds it: the lines that were sent, REGOS's number and amount,
  with whatever else the cart holds by now left in the cart. A changed cart gets a new code;
* a lock per chat (longer than the longest AddFull call) serialises attempts across processes,
  on top of the engine's per-chat event isolation;
* ``AddFull`` is a write and is never retried blindly: after a timeout or a transport error the
  order is looked up once; if it is not (yet) there the user is told to press "confirm" again,
  which is safe for the reasons above;
* what happens after success (clearing the cart, messages) can fail without re-running AddFull.

Prices and stock are re-read from REGOS right before ordering; any change is shown to the user,
who confirms again. The ordered lines leave the cart only after REGOS confirmed the order.

The order document is mapped in the scenario: ``place``'s ``order`` argument maps document
fields to templates over the dialog data (``delivery_type_id: "{{ delivery_type_id }}"``), so a
checkout step is a window that saves a value plus one mapping line. The customer, the date and
the ``external_code`` stay the checkout's own; a card must be one of the customer's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from actions.regos.errors import RegosError, RegosRateLimited, RegosTransportError, RegosValidationError
from actions.regos.models import Order
from actions.shop import attempt
from actions.shop.cart_store import Cart, plain
from actions.shop.customer import current_customer
from actions.shop.quote import requote
from actions.shop.services import Shop, shop_of
from engine.actions import ActionContext, Result, action
from engine.settings import timezone_of

__all__ = ["MAPPED_FIELDS", "begin", "is_open", "mapped_fields", "place", "prepare"]

log = logging.getLogger("actions.shop.checkout")
LOCK_SECONDS = 300


def is_open(now: datetime, settings: Any) -> bool:
    """Within WORK_TIME_START..WORK_TIME_END in the shop's TIMEZONE (overnight ranges wrap)."""
    if not settings.get("WORK_TIME_ENABLED"):
        return True
    zone = timezone_of(settings)
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
        "changes": changes,
        "location": location, "note": (note or "").strip()[:500], "customer": customer,
    }
    return Result.of("changed" if changes else "ok", quote=quote)


def _same(cart: Cart, quote: dict[str, Any]) -> bool:
    seen = [(int(line["item_id"]), Decimal(line["qty"]), Decimal(line["price"]))
            for line in quote.get("lines", [])]
    return seen == [(line.item_id, line.qty, line.price) for line in cart.lines]


_IDS = ("from_id", "stock_id", "price_type_id", "delivery_type_id", "payment_type_id",
        "courier_id", "card_id", "delivery_date")
_TEXTS = ("description", "address")
#: the ``DocOrderDelivery/AddFull`` document fields a scenario's ``order:`` mapping may set
MAPPED_FIELDS = (*_IDS, *_TEXTS, "location")


def mapped_fields(order: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's ``order:`` mapping as document fields: empty values (a step switched off,
    nothing chosen) left out, ids as integers, ``location`` as ``{latitude, longitude}``. A
    ValueError names a field that is not one of :data:`MAPPED_FIELDS` or a value that does not
    fit."""
    document: dict[str, Any] = {}
    for key, value in order.items():
        if value is None or value == "":
            continue
        try:
            if key in _IDS:
                document[key] = int(value)
            elif key in _TEXTS:
                document[key] = str(value)[:500]
            elif key == "location":
                document[key] = {"latitude": float(value["latitude"]),
                                 "longitude": float(value["longitude"])}
            else:
                raise ValueError(f"the order document has no field {key!r} a scenario may set")
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"order field {key!r}: {exc}") from None
    return document


def _document(ctx: ActionContext, quote: dict[str, Any], customer: dict[str, Any],
              code: str, order: Mapping[str, Any] | None = None) -> dict[str, Any]:
    settings = ctx.settings
    document: dict[str, Any] = {
        "date": int(ctx.now().timestamp()),
        "from_id": int(settings["ORDER_SOURCE_ID"]),
        "customer_id": int(customer["id"]),
        "stock_id": int(settings["STOCK_ID"]),
        "price_type_id": int(settings["PRICE_TYPE_ID"]),
        "external_code": code,
    }
    if customer.get("phone"):
        document["phone"] = customer["phone"]
    if order is not None:  # the scenario maps the rest (description and location included)
        document.update(mapped_fields(order))
        return document
    if quote.get("note"):
        document["description"] = quote["note"]
    location = quote.get("location")
    if isinstance(location, dict):
        document["location"] = {"latitude": float(location["latitude"]),
                                "longitude": float(location["longitude"])}
    return document


async def _find(shop: Shop, code: str) -> Order | None:
    page = await shop.api.orders(external_code=code, limit=1)
    return next((o for o in page.items if o.external_code == code), None)


async def _done(ctx: ActionContext, shop: Shop, order: Order,
                lines: list[dict[str, Any]] | None) -> Result:
    """The order exists: show it as REGOS holds it (its number and amount, the lines that were
    sent), take those quantities out of the cart and forget the attempt. What the cart holds
    beyond them stays there. Failures here are logged only: the order exists either way."""
    carts = shop.carts(ctx.settings)
    rest: list[dict[str, Any]] = []
    try:
        left = attempt.remaining(await carts.get(ctx.chat.id), lines) if lines is not None \
            else await carts.get(ctx.chat.id)
        await carts.save(ctx.chat.id, left)
        rest = [line.view() for line in left.lines] if lines is not None else []
        await attempt.forget(shop, ctx.chat.id)
    except Exception:
        log.exception("order %s was created but the cart could not be updated", order.id)
    return Result.ok(order={"id": order.id, "code": order.code or None, "total": str(order.amount),
                            "lines": lines or [], "rest": rest})


PLACE = ("ok", "changed", "empty", "closed", "below_minimum", "need_phone", "in_progress",
         "unknown", "rejected", "busy")


@action(outcomes=PLACE, provides=("order", "quote", "checkout", "failure"))
async def place(ctx: ActionContext, *, quote: dict[str, Any] | None = None,
                order: dict[str, Any] | None = None) -> Result:
    """Create the order in REGOS, at most once per checkout; ``order``: the scenario's mapping
    of document fields (:func:`mapped_fields`)."""
    if not quote or not quote.get("lines"):
        return Result.of("empty")
    try:
        fields = mapped_fields(order) if order is not None else None
    except ValueError as exc:
        log.warning("the scenario's order mapping is refused: %s", exc)
        return Result.of("rejected", failure={"code": "mapping", "field": str(exc)})
    shop = shop_of(ctx)
    lock = shop.key("lock", ctx.chat.id)
    if not await shop.kv.set_nx(lock, "1", LOCK_SECONDS):
        return Result.of("in_progress")
    try:
        return await _place(ctx, shop, quote, fields)
    finally:
        await shop.kv.delete(lock)


async def _not_theirs(shop: Shop, customer: dict[str, Any], fields: Mapping[str, Any]) -> bool:
    """A card to apply must be one of the customer's (its id came from dialog data)."""
    if "card_id" not in fields:
        return False
    cards = await shop.api.cards(int(customer["id"]))
    return all(card.id != fields["card_id"] for card in cards)


async def _place(ctx: ActionContext, shop: Shop, quote: dict[str, Any],
                 fields: Mapping[str, Any] | None) -> Result:
    earlier = await attempt.load(shop, ctx.chat.id)
    if earlier is not None:  # an attempt whose outcome is unknown: does REGOS hold it?
        try:
            existing = await _find(shop, earlier.code)
        except RegosRateLimited:
            return Result.of("busy")
        except RegosError as exc:
            log.warning("checkout %s cannot be looked up (%s)", earlier.code, exc)
            return Result.of("unknown")
        if existing is not None:
            log.info("checkout %s already has order %s", earlier.code, existing.id)
            return await _done(ctx, shop, existing, earlier.lines)
    customer = await current_customer(ctx)
    if customer is None:
        return Result.of("need_phone")
    carts = shop.carts(ctx.settings)
    cart, changes = await requote(ctx, shop, carts, await carts.get(ctx.chat.id))
    refused = await _gate(ctx, cart)
    if refused is not None:
        return refused
    try:
        if fields is not None and await _not_theirs(shop, customer, fields):
            return Result.of("rejected", failure={"code": "card", "field": "card_id"})
    except RegosRateLimited:
        return Result.of("busy")
    except RegosError:
        return Result.of("unknown")
    if changes or not _same(cart, quote):
        fresh = {**quote, "lines": [line.view() for line in cart.lines],
                 "total": plain(cart.total), "changes": changes}
        return Result.of("changed", quote=fresh)
    lines = [line.view() for line in cart.lines]
    # the same lines retry under the same code; a changed cart is a new checkout
    code = earlier.code if earlier is not None and attempt.same_lines(cart, earlier.lines) \
        else attempt.new_code(ctx.chat.id)
    await attempt.save(shop, ctx.chat.id, attempt.Attempt(code, lines))
    operations = [{"item_id": line.item_id, "quantity": line.qty, "price": line.price}
                  for line in cart.lines]
    try:
        order_id = await shop.api.add_order(_document(ctx, quote, customer, code, fields),
                                            operations)
    except RegosRateLimited:  # refused before anything was processed
        await attempt.forget(shop, ctx.chat.id)
        return Result.of("busy")
    except RegosTransportError as exc:  # timeouts included: the order may or may not exist
        log.warning("AddFull for %s ended without an answer (%s); looking it up", code, exc)
        try:
            found = await _find(shop, code)
        except RegosError:
            found = None
        if found is None:
            return Result.of("unknown")
        return await _done(ctx, shop, found, lines)
    except RegosError as exc:
        await attempt.forget(shop, ctx.chat.id)
        field = exc.field if isinstance(exc, RegosValidationError) else None
        log.warning("REGOS refused order %s: %s", code, exc)
        return Result.of("rejected", failure={"code": exc.code, "field": field})
    log.info("order %s created for checkout %s", order_id, code)
    try:  # its number as REGOS shows it (the same as in "my orders")
        created = await _find(shop, code)
    except RegosError:
        created = None
    if created is None:
        created = Order(id=order_id, code="", date=0, amount=cart.total, status_name="",
                        external_code=code, description=None)
    return await _done(ctx, shop, created, lines)
