"""A REGOS emulator with a demo shop, for tests and the sandbox bot (never talks to REGOS)."""

from actions.regos.emulator.core import EmuReply, RegosEmulator
from actions.regos.emulator.demo import DEMO_CONNECTED_INTEGRATION_ID, DEMO_INTEGRATION_KEY, demo_shop
from actions.regos.emulator.faults import Fault, FaultKind, Faults
from actions.regos.emulator.server import RegosEmulatorServer
from actions.regos.emulator.shop import (
    CatalogApp,
    CustomerGroup,
    FieldDef,
    Group,
    OrderLine,
    Shop,
    ShopCard,
    ShopCustomer,
    ShopItem,
    ShopOrder,
    StockLevel,
    Unit,
)

__all__ = [
    "DEMO_CONNECTED_INTEGRATION_ID",
    "DEMO_INTEGRATION_KEY",
    "CatalogApp",
    "CustomerGroup",
    "EmuReply",
    "Fault",
    "FaultKind",
    "Faults",
    "FieldDef",
    "Group",
    "OrderLine",
    "RegosEmulator",
    "RegosEmulatorServer",
    "Shop",
    "ShopCard",
    "ShopCustomer",
    "ShopItem",
    "ShopOrder",
    "StockLevel",
    "Unit",
    "demo_shop",
]
