"""What the shop shows beside the chat in the playground page: the REGOS calls the bot made and
the orders the demo shop received (read from the REGOS emulator each time the page asks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actions.regos.emulator import RegosEmulator
    from engine.playground.sandbox import Sandbox

__all__ = ["offer_panels"]

SHOWN = 50
REQUEST_CHARS = 300


def _short(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
    return text if len(text) <= REQUEST_CHARS else text[:REQUEST_CHARS - 1] + "…"


def offer_panels(sandbox: Sandbox, emulator: RegosEmulator) -> None:
    async def calls() -> list[dict[str, Any]]:
        return [{"method": method, "request": _short(payload)}
                for method, payload in emulator.requests[-SHOWN:]]

    async def orders() -> list[dict[str, Any]]:
        shop = emulator.shop
        rows: list[dict[str, Any]] = []
        for order in list(shop.orders.values())[-SHOWN:]:
            customer = shop.customers.get(order.customer_id) if order.customer_id else None
            rows.append({
                "number": order.code,
                "date": datetime.fromtimestamp(order.date, UTC).strftime("%Y-%m-%d %H:%M"),
                "customer": customer.full_name if customer else "",
                "phone": order.phone or "",
                "note": order.description or "",
                "address": order.address or "",
                "total": str(order.amount),
                "status": order.status,
            })
        return rows

    sandbox.add_panel("regos_orders", "Orders in the demo shop (REGOS)", orders,
                      ["number", "date", "customer", "phone", "note", "address", "total", "status"])
    sandbox.add_panel("regos_calls", "REGOS calls", calls, ["method", "request"])
