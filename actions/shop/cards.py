"""The customer's loyalty cards: balance, status, and the barcode as a QR code picture.

Only the customer's own cards are shown: a card id from dialog data is looked up among the
cards of the linked customer, never fetched by id alone. The QR picture needs the optional
``qrcode`` + ``pillow`` packages (``pip install .[qr]``); without them the card shows its
barcode as text.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from actions.regos.errors import RegosError
from actions.regos.models import Card
from actions.shop.catalog import error_code
from actions.shop.customer import current_customer
from actions.shop.services import shop_of
from engine.actions import ActionContext, Result, action

__all__ = ["card", "overview", "qr_png"]

log = logging.getLogger("actions.shop.cards")


def qr_png(value: str) -> bytes | None:
    """A PNG QR code of ``value``, or ``None`` when qrcode/pillow are not installed."""
    try:
        import qrcode
    except ImportError:
        return None
    code = qrcode.QRCode(border=2, box_size=8)
    code.add_data(value)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return out.getvalue()


def _view(card: Card) -> dict[str, Any]:
    return {"id": card.id, "barcode": card.barcode_value, "bonus": str(card.bonus_amount),
            "enabled": card.enabled, "expiry": card.expiry_date, "group": card.group_name,
            "promo": card.promo_name}


async def _cards(ctx: ActionContext) -> tuple[list[Card] | None, str | None]:
    """The linked customer's cards; ``(None, "need_phone")`` when nobody is linked yet."""
    customer = await current_customer(ctx, strict=False)
    if customer is None:
        return None, "need_phone"
    try:
        return await shop_of(ctx).api.cards(int(customer["id"])), None
    except RegosError as exc:
        log.warning("cards unavailable: %s", exc)
        return None, error_code(exc)


@action(provides=("cards", "need_phone", "error"))
async def overview(ctx: ActionContext) -> Result:
    found, problem = await _cards(ctx)
    return Result.ok(cards=[_view(c) for c in found or []], need_phone=problem == "need_phone",
                     error=problem if problem != "need_phone" else None)


@action(provides=("card", "qr", "error"))
async def card(ctx: ActionContext, *, card_id: int) -> Result:
    found, problem = await _cards(ctx)
    mine = next((c for c in found or [] if c.id == card_id), None)
    if mine is None:
        return Result.ok(card=None, qr=None, error=problem or "gone")
    return Result.ok(card=_view(mine), qr=qr_png(mine.barcode_value), error=None)
