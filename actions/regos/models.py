"""Typed values of the REGOS domain layer. Money and quantities are ``Decimal``, never ``float``."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, Literal, TypeVar

__all__ = ["Card", "Customer", "Item", "ItemExt", "ItemGroup", "Order", "Page", "Unit", "UnitType"]

T = TypeVar("T")

UnitType = Literal["pcs", "non_pcs"]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paged list. ``next_offset`` is ``None`` on the last page."""

    items: list[T]
    next_offset: int | None
    total: int | None

    @property
    def has_next(self) -> bool:
        return self.next_offset is not None


@dataclass(frozen=True)
class ItemGroup:
    id: int
    parent_id: int
    name: str
    path: str
    child_count: int


@dataclass(frozen=True)
class Unit:
    name: str
    type: UnitType  # "pcs": sold by the piece (whole numbers only); "non_pcs": weighed


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    code: int | None
    articul: str
    description: str
    group_id: int | None
    unit: Unit


@dataclass(frozen=True)
class ItemExt:
    """An item with its price and stock for one price type and one stock."""

    item: Item
    price: Decimal | None
    quantity_common: Decimal
    quantity_allowed: Decimal
    image_url: str | None

    @property
    def is_piece(self) -> bool:
        """Whole quantities only. Compares the enum *value* (the old bot compared ``str(enum)``)."""
        return self.item.unit.type == "pcs"


@dataclass(frozen=True)
class Customer:
    id: int
    first_name: str
    last_name: str
    full_name: str
    main_phone: str | None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Card:
    id: int
    barcode_value: str
    bonus_amount: Decimal
    enabled: bool
    expiry_date: str | None
    group_name: str | None
    promo_name: str | None


@dataclass(frozen=True)
class Order:
    id: int
    code: str
    date: int
    amount: Decimal
    status_name: str
    external_code: str | None
    description: str | None
