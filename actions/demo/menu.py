"""The café's menu: list drinks, show one, take an order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from engine.actions import ActionContext, Result, action

DATA = Path(__file__).with_name("drinks.yaml")


@dataclass(frozen=True)
class Drink:
    id: int
    name: str
    price: Decimal
    stock: int

    def as_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "price": str(self.price), "stock": self.stock,
                "photo": None}


def load_drinks(path: Path = DATA) -> dict[int, Drink]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        int(r["id"]): Drink(int(r["id"]), str(r["name"]), Decimal(str(r["price"])), int(r["stock"]))
        for r in rows
    }


@action(provides=("drinks",))
async def drinks(ctx: ActionContext) -> Result:
    """All drinks, for the list."""
    return Result.ok(drinks=[d.as_data() for d in load_drinks().values()])


@action(provides=("drink",))
async def drink(ctx: ActionContext, *, drink_id: int) -> Result:
    """One drink, for its card."""
    found = load_drinks().get(drink_id)
    return Result.ok(drink=found.as_data() if found else None)


@action(outcomes=("ok", "sold_out"), provides=("order",))
async def order(ctx: ActionContext, *, drink_id: int, qty: int) -> Result:
    """Take an order of ``qty`` drinks; refuse what is out of stock."""
    found = load_drinks().get(drink_id)
    if found is None or found.stock < qty:
        return Result.of("sold_out")
    total = found.price * qty
    return Result.ok(order={"drink": found.name, "qty": qty, "total": str(total)})
