"""My orders: the linked customer's recent orders from ``DocOrderDelivery/Get``, newest first."""

from __future__ import annotations

import logging

from actions.regos.errors import RegosError
from actions.shop.catalog import error_code
from actions.shop.customer import current_customer
from actions.shop.services import shop_of
from engine.actions import ActionContext, Result, action

__all__ = ["recent"]

log = logging.getLogger("actions.shop.orders")
PAGE_SIZE = 5


@action(provides=("orders", "total_pages", "need_phone", "error"))
async def recent(ctx: ActionContext, *, page: int = 0) -> Result:
    customer = await current_customer(ctx, strict=False)
    if customer is None:
        return Result.ok(orders=[], total_pages=1, need_phone=True, error=None)
    try:
        found = await shop_of(ctx).api.orders(customer_id=int(customer["id"]), limit=PAGE_SIZE,
                                              offset=max(0, page) * PAGE_SIZE)
    except RegosError as exc:
        log.warning("orders unavailable: %s", exc)
        return Result.ok(orders=[], total_pages=1, need_phone=False, error=error_code(exc))
    orders = [{"id": o.id, "code": o.code, "date": o.date, "amount": str(o.amount),
               "status": o.status_name, "note": o.description} for o in found.items]
    total = found.total if found.total is not None else len(orders)
    return Result.ok(orders=orders, total_pages=max(1, -(-total // PAGE_SIZE)), need_phone=False,
                     error=None)
