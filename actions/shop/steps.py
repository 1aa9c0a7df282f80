"""The lists of the optional checkout steps: delivery types, payment types, delivery slots.

The steps themselves are windows of ``scenarios/orders.yaml`` (each switched on by a setting):
a window saves the chosen id in the dialog data, and the order document's mapping there
(``order:`` of ``shop.checkout.place``) sends it to ``DocOrderDelivery/AddFull``. Python only
fetches what there is to choose from.

Delivery slots come from settings: ``DELIVERY_SLOTS`` (``"10:00-12:00"`` ranges in the shop's
``TIMEZONE``) on each of ``DELIVERY_DAYS`` days from today; a slot is offered when it starts at
least ``DELIVERY_LEAD_MINUTES`` from now and, with ``WORK_TIME_ENABLED``, lies within the work
hours. A slot's id is its start in Unix seconds (the order's ``delivery_date``).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from actions.regos.errors import RegosError
from actions.shop.catalog import error_code
from actions.shop.checkout import is_open
from actions.shop.customer import current_customer
from actions.shop.services import shop_of
from engine.actions import ActionContext, Result, action
from engine.settings import timezone_of

__all__ = ["chosen", "delivery_slots", "delivery_types", "parse_slot", "payment_types",
           "slots_at"]

log = logging.getLogger("actions.shop.steps")


@action(provides=("delivery_types", "error"))
async def delivery_types(ctx: ActionContext) -> Result:
    """The shop's delivery types; ``pickup`` marks those in ``PICKUP_DELIVERY_TYPE_IDS``
    (no address asked)."""
    pickup = set(ctx.settings.get("PICKUP_DELIVERY_TYPE_IDS") or ())
    try:
        found = await shop_of(ctx).catalog.delivery_types()
    except RegosError as exc:
        log.warning("delivery types unavailable: %s", exc)
        return Result.ok(delivery_types=[], error=error_code(exc))
    return Result.ok(delivery_types=[{"id": i, "name": n, "pickup": i in pickup}
                                     for i, n in found], error=None)


@action(provides=("payment_types", "error"))
async def payment_types(ctx: ActionContext) -> Result:
    try:
        found = await shop_of(ctx).catalog.payment_types()
    except RegosError as exc:
        log.warning("payment types unavailable: %s", exc)
        return Result.ok(payment_types=[], error=error_code(exc))
    return Result.ok(payment_types=[{"id": i, "name": n} for i, n in found], error=None)


@action(provides=("chosen",))
async def chosen(ctx: ActionContext, *, delivery_type_id: int | None = None,
                 payment_type_id: int | None = None, card_id: int | None = None) -> Result:
    """What the confirmation screen names: ``chosen.delivery_type``, ``chosen.payment_type``
    (names) and ``chosen.card`` (the barcode), for the steps that were answered; a list that
    cannot be read leaves its name out (the order itself is checked by REGOS)."""
    shop = shop_of(ctx)
    names: dict[str, Any] = {"delivery_type": None, "payment_type": None, "card": None}
    try:
        if delivery_type_id is not None:
            names["delivery_type"] = dict(await shop.catalog.delivery_types()).get(delivery_type_id)
        if payment_type_id is not None:
            names["payment_type"] = dict(await shop.catalog.payment_types()).get(payment_type_id)
        if card_id is not None:
            customer = await current_customer(ctx, strict=False)
            cards = await shop.api.cards(int(customer["id"])) if customer else []
            names["card"] = next((c.barcode_value for c in cards if c.id == card_id), None)
    except RegosError as exc:
        log.warning("names of the checkout choices unavailable: %s", exc)
    return Result.ok(chosen=names)


def parse_slot(text: str) -> tuple[time, time]:
    """``"10:00-12:00"`` -> its start and end (a ValueError names a bad one)."""
    start, sep, end = text.replace("–", "-").partition("-")
    try:
        first, last = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ValueError(f"a delivery slot is written 10:00-12:00, not {text!r}") from None
    if not sep or last <= first:
        raise ValueError(f"a delivery slot ends after it starts: {text!r}")
    return first, last


def slots_at(now: datetime, settings: Any) -> list[dict[str, Any]]:
    """The slots offered at ``now`` (see the module's docstring), soonest first."""
    zone = timezone_of(settings)
    local = now.astimezone(zone)
    earliest = now + timedelta(minutes=int(settings.get("DELIVERY_LEAD_MINUTES") or 0))
    ranges = [parse_slot(str(raw)) for raw in settings.get("DELIVERY_SLOTS") or ()]
    slots: list[dict[str, Any]] = []
    for offset in range(max(1, int(settings.get("DELIVERY_DAYS") or 1))):
        day = local.date() + timedelta(days=offset)
        for first, last in ranges:
            start = datetime.combine(day, first, zone)
            end = datetime.combine(day, last, zone)
            if start < earliest:
                continue
            if not (is_open(start, settings) and is_open(end - timedelta(minutes=1), settings)):
                continue
            slots.append({"id": int(start.timestamp()), "day": offset, "date": day.isoformat(),
                          "start": first.strftime("%H:%M"), "end": last.strftime("%H:%M")})
    return slots


@action(provides=("slots",))
async def delivery_slots(ctx: ActionContext) -> Result:
    """``slots``: ``{id, day (0 today, 1 tomorrow, ...), date, start, end}``."""
    return Result.ok(slots=slots_at(ctx.now(), ctx.settings))
