"""Who the customer is: recognised by ``field_telegram_id``, or found/created by a shared phone.

A shared contact reaches :func:`link` only when it is the sender's own (the scenario's contact
input refuses forwarded contacts). A REGOS error while looking the phone up is raised, never
read as "not found", so an outage can never create a duplicate customer.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from actions.regos.errors import RegosError
from actions.regos.models import Customer
from actions.shop.services import TELEGRAM_FIELD, Shop, shop_of
from engine.actions import ActionContext, Result, action

__all__ = ["current_customer", "home", "link"]

log = logging.getLogger("actions.shop.customer")
RECHECK_SECONDS = 24 * 3600
#: how long "this Telegram user is no customer yet" is remembered, so that every menu render of
#: an unlinked user does not cost a REGOS call; it is kept under the customer's own key (one
#: read per menu either way), and linking writes the customer over it
UNKNOWN_SECONDS = 300
NOBODY = "null"


def _display_name(customer: Customer, fallback: str) -> str:
    """How the bot addresses the customer: the first name, else the full name."""
    return (customer.first_name or customer.full_name or "").strip() or fallback


async def _remember(shop: Shop, user_id: int, customer: Customer, phone: str | None) -> dict[str, Any]:
    known = {"id": customer.id, "name": _display_name(customer, ""),
             "phone": phone or customer.main_phone or ""}
    # With the REGOS field, REGOS is the truth and this is a cache re-checked daily; without
    # it, this record is the only link between the Telegram user and the customer.
    ttl = RECHECK_SECONDS if shop.telegram_field else None
    await shop.kv.set(shop.key("customer", user_id), json.dumps(known, ensure_ascii=False), ttl)
    return known


async def current_customer(ctx: ActionContext, *, strict: bool = True) -> dict[str, Any] | None:
    """The customer linked to this Telegram user: ``{id, name, phone}``, or ``None``.

    ``strict``: a REGOS error is raised (checkout must not guess); otherwise it reads as
    "unknown for now" and nothing is cached.
    """
    shop = shop_of(ctx)
    key = shop.key("customer", ctx.user.id)
    raw = await shop.kv.get(key)
    if raw:
        return json.loads(raw)  # type: ignore[no-any-return]  # None: NOBODY, remembered
    if not shop.telegram_field:
        return None
    try:
        customer = await shop.api.customer_by_telegram_id(ctx.user.id)
    except RegosError:
        if strict:
            raise
        log.warning("customer lookup by Telegram id failed", exc_info=True)
        return None
    if customer is None:
        await shop.kv.set(key, NOBODY, UNKNOWN_SECONDS)
        return None
    return await _remember(shop, ctx.user.id, customer, None)


@action(provides=("customer", "cart"))
async def home(ctx: ActionContext) -> Result:
    """The main menu's data: the customer's name (when known) and the cart's size."""
    shop = shop_of(ctx)
    cart = await shop.carts(ctx.settings).get(ctx.chat.id)
    customer = await current_customer(ctx, strict=False)
    return Result.ok(customer=customer, cart=cart.view())


@action(outcomes=("found", "created", "bad_phone"), provides=("customer",))
async def link(ctx: ActionContext, *, phone: str) -> Result:
    """Find the customer by the shared phone (digits only) or create one; link Telegram."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not 7 <= len(digits) <= 15:
        return Result.of("bad_phone")
    shop = shop_of(ctx)
    found = await shop.api.customer_by_phone(digits)
    if found is not None:
        if shop.telegram_field and found.fields.get(TELEGRAM_FIELD) != str(ctx.user.id):
            await shop.api.link_telegram_id(found.id, ctx.user.id)
        known = await _remember(shop, ctx.user.id, found, digits)
        return Result.of("found", customer=known)
    first_name = ctx.user.first_name.strip() or digits
    new_id = await shop.api.add_customer(
        group_id=int(ctx.settings["CUSTOMER_GROUP_ID"]), first_name=first_name[:100],
        last_name=(ctx.user.last_name or None), phone=digits,
        telegram_id=ctx.user.id if shop.telegram_field else None,
    )
    created = Customer(id=new_id, first_name=first_name, last_name=ctx.user.last_name or "",
                       full_name=ctx.user.full_name, main_phone=digits)
    known = await _remember(shop, ctx.user.id, created, digits)
    return Result.of("created", customer=known)
