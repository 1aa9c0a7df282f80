"""The emulated REGOS account: plain mutable dataclasses the emulator reads and changes.

A :class:`Shop` is the whole state of one REGOS account: reference lists, the catalog, customers
with their cards and orders, additional-field definitions and the settings of each connected
integration. Tests may build one by hand or start from :func:`~actions.regos.emulator.demo.demo_shop`
and change it; the emulator works on its own deep copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = ["CustomerGroup", "FieldDef", "Group", "OrderLine", "Shop", "ShopCard", "ShopCustomer",
           "ShopItem", "ShopOrder", "StockLevel", "Unit", "next_id"]


@dataclass
class Group:
    id: int
    name: str
    parent_id: int = 0


@dataclass
class Unit:
    id: int
    name: str
    type: Literal["pcs", "non_pcs"]


@dataclass
class StockLevel:
    common: Decimal
    booked: Decimal = Decimal(0)

    @property
    def allowed(self) -> Decimal:
        return self.common - self.booked


@dataclass
class ShopItem:
    id: int
    name: str
    group_id: int
    unit_id: int
    code: int
    articul: str = ""
    barcode: str = ""
    description: str = ""
    prices: dict[int, Decimal] = field(default_factory=dict)  # price type id -> price
    stock: dict[int, StockLevel] = field(default_factory=dict)  # stock id -> level
    has_image: bool = True
    last_purchase_cost: Decimal | None = None


@dataclass
class CustomerGroup:
    id: int
    name: str
    parent_id: int = 0


@dataclass
class ShopCustomer:
    id: int
    group_id: int
    first_name: str
    last_name: str = ""
    middle_name: str = ""
    main_phone: str | None = None
    phones: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)


@dataclass
class ShopCard:
    id: int
    customer_id: int
    barcode_value: str
    bonus_amount: Decimal
    enabled: bool = True
    expiry_date: str | None = None
    group_id: int = 1
    group_name: str = "Основная"
    promo_id: int = 1
    promo_name: str = "Бонусная программа"


@dataclass
class FieldDef:
    id: int
    key: str
    name: str
    entity_type: str
    data_type: str = "string"
    required: bool = False


@dataclass
class OrderLine:
    item_id: int
    quantity: Decimal
    price: Decimal


@dataclass
class ShopOrder:
    id: int
    code: str
    date: int
    from_id: int
    lines: list[OrderLine]
    amount: Decimal
    customer_id: int | None = None
    stock_id: int | None = None
    price_type_id: int | None = None
    delivery_type_id: int | None = None
    payment_type_id: int | None = None
    card_id: int | None = None
    status: str = "New"
    external_code: str | None = None
    description: str | None = None
    address: str | None = None
    phone: str | None = None
    location: tuple[Decimal, Decimal] | None = None
    delivery_date: int = 0


@dataclass
class CatalogApp:
    """A catalog integration (regos-api.md §1.2, mode 2): it gets bearer tokens for its
    ``client_secret`` and calls the API of every shop in ``connected`` (connected integration id →
    ``is_active``) with that id as the URL segment."""

    client_secret: str
    connected: dict[str, bool] = field(default_factory=dict)
    name: str = "Telegram bot"


@dataclass
class Shop:
    """One REGOS account. ``integrations`` maps an integration key (the URL segment) to its
    ``connected_integration_id``; ``settings`` holds each connected integration's settings;
    ``apps`` are catalog integrations by ``client_id``."""

    integrations: dict[str, str] = field(default_factory=dict)
    apps: dict[str, CatalogApp] = field(default_factory=dict)
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    items: dict[int, ShopItem] = field(default_factory=dict)
    price_types: dict[int, str] = field(default_factory=dict)
    stocks: dict[int, str] = field(default_factory=dict)
    customer_groups: dict[int, CustomerGroup] = field(default_factory=dict)
    customers: dict[int, ShopCustomer] = field(default_factory=dict)
    cards: dict[int, ShopCard] = field(default_factory=dict)
    fields: dict[int, FieldDef] = field(default_factory=dict)
    delivery_sources: dict[int, str] = field(default_factory=dict)
    delivery_types: dict[int, str] = field(default_factory=dict)
    payment_types: dict[int, str] = field(default_factory=dict)
    orders: dict[int, ShopOrder] = field(default_factory=dict)
    phone_unique: bool = False  # the account setting "main phone must be unique"

    def field_keys(self, entity_type: str) -> set[str]:
        return {f.key for f in self.fields.values() if f.entity_type.lower() == entity_type.lower()}

    def descendants(self, group_id: int) -> set[int]:
        """The group and every group below it."""
        found = {group_id}
        frontier = [group_id]
        while frontier:
            parent = frontier.pop()
            for group in self.groups.values():
                if group.parent_id == parent and group.id not in found:
                    found.add(group.id)
                    frontier.append(group.id)
        return found

    def group_path(self, group_id: int) -> str:
        names: list[str] = []
        seen: set[int] = set()
        current = self.groups.get(group_id)
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.append(current.name)
            current = self.groups.get(current.parent_id)
        return "/".join(reversed(names))


def next_id(table: Mapping[int, object]) -> int:
    return max(table, default=0) + 1

