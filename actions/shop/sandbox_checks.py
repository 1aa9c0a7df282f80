"""What the shop offers conversation tests (``expect:`` in tests/conversations/orders/*.yaml),
over the REGOS emulator of the sandbox.

``regos_call: {method: DocOrderDelivery/AddFull, fields: {document: {...}}}``: some request to
``method`` whose payload contains ``fields`` (nested mappings compare as subsets, lists item by
item). ``order_created: true``: the acting user's chat placed an order (``external_code``
``tg-<chat>-…``).

Fixtures (``fixtures:`` of a test that starts at a window), put in place by the shop's own
actions, so they hold what the bot would have stored: ``customer: {phone: "998901234567"}``
links the acting user as sharing that phone would; ``cart: [{item_id: 1, qty: 2}]`` adds the
lines as the item window's "add" does (stock and whole pieces checked)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from engine.actions import ActionContext

if TYPE_CHECKING:
    from actions.regos.emulator import RegosEmulator
    from engine.playground.sandbox import Sandbox

__all__ = ["cart_fixture", "customer_fixture", "offer_checks"]

ADD_ORDER = "DocOrderDelivery/AddFull"


def contains(payload: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(payload, dict) and all(
            key in payload and contains(payload[key], value) for key, value in expected.items())
    if isinstance(expected, list):
        return isinstance(payload, list) and len(payload) == len(expected) and all(
            contains(p, e) for p, e in zip(payload, expected, strict=True))
    return bool(payload == expected or str(payload) == str(expected))


def offer_checks(sandbox: Sandbox, emulator: RegosEmulator) -> None:
    async def regos_call(value: Any, user_id: int) -> str | None:
        if not isinstance(value, dict) or "method" not in value:
            return "regos_call needs {method: ..., fields: {...}}"
        calls = emulator.calls_of(str(value["method"]))
        if any(contains(payload, value.get("fields") or {}) for payload in calls):
            return None
        return f"{len(calls)} call(s) of {value['method']}: {calls[-3:]}" if calls \
            else f"no call of {value['method']}"

    async def order_created(value: Any, user_id: int) -> str | None:
        prefix = f"tg-{user_id}-"
        placed = [p for p in emulator.calls_of(ADD_ORDER)
                  if str(((p or {}).get("document") or {}).get("external_code", ""))
                  .startswith(prefix)]
        if bool(placed) == bool(value):
            return None
        return f"{len(placed)} order(s) sent to REGOS from this chat"

    sandbox.add_check("regos_call", regos_call)
    sandbox.add_check("order_created", order_created)
    sandbox.add_fixture("customer", customer_fixture)
    sandbox.add_fixture("cart", cart_fixture)


async def customer_fixture(value: Any, ctx: ActionContext) -> str | None:
    from actions.shop.customer import link

    phone = value.get("phone") if isinstance(value, dict) else value
    if not isinstance(phone, str | int) or isinstance(phone, bool):
        return "customer needs {phone: ...}"
    result = await link(ctx, phone=str(phone))
    return None if result.outcome in ("found", "created") else f"the phone was {result.outcome}"


async def cart_fixture(value: Any, ctx: ActionContext) -> str | None:
    from actions.shop.cart import add

    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return "cart is a list of {item_id, qty}"
    for line in value:
        try:
            item_id, qty = int(line["item_id"]), Decimal(str(line.get("qty", 1)))
        except (KeyError, ValueError, TypeError, InvalidOperation):
            return f"a cart line is {{item_id, qty}}, not {line!r}"
        result = await add(ctx, item_id=item_id, qty=qty)
        if result.outcome != "ok":
            return f"item {item_id} × {qty}: {result.outcome}"
    return None
