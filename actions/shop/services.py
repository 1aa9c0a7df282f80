"""The shop's collaborators, built once at start-up by the package hook (``actions/shop``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actions.regos.api import RegosApi
from actions.regos.errors import RegosError
from actions.shop.cart_store import CartStore
from actions.shop.catalog_cache import CatalogCache
from engine.actions import ActionContext
from engine.errors import ConfigError
from engine.runtime.storage import KeyValueStore
from engine.settings import Settings

__all__ = ["TELEGRAM_FIELD", "Shop", "shop_of"]

log = logging.getLogger("actions.shop")
TELEGRAM_FIELD = "field_telegram_id"


@dataclass
class Shop:
    api: RegosApi
    kv: KeyValueStore
    connected_integration_id: str
    catalog: CatalogCache
    #: whether the account defines the customer field ``field_telegram_id`` (checked at start)
    telegram_field: bool = True

    def carts(self, settings: Mapping[str, Any]) -> CartStore:
        days = int(settings.get("CART_TTL_DAYS") or 7)
        return CartStore(self.kv, self.connected_integration_id, ttl=max(1, days) * 86400)

    def key(self, kind: str, *parts: object) -> str:
        """A key of this integration's shop state in the key-value store."""
        return ":".join(["shop", kind, self.connected_integration_id, *map(str, parts)])

    async def check_settings(self, settings: Settings) -> None:
        """Start-up checks: the ids the orders depend on exist in this REGOS account."""
        problems: list[str] = []
        if not await self.api.order_source_exists(int(settings["ORDER_SOURCE_ID"])):
            problems.append(f"ORDER_SOURCE_ID {settings['ORDER_SOURCE_ID']} is not an order source "
                            "(DeliveryFrom) of this REGOS account")
        if not await self.api.customer_group_exists(int(settings["CUSTOMER_GROUP_ID"])):
            problems.append(f"CUSTOMER_GROUP_ID {settings['CUSTOMER_GROUP_ID']} is not a customer "
                            "group of this REGOS account")
        if settings.get("IMAGE_SIZE") not in ("Large", "Medium", "Small", "Default"):
            problems.append(f"IMAGE_SIZE must be Large, Medium, Small or Default, "
                            f"not {settings.get('IMAGE_SIZE')!r}")
        if problems:
            raise ConfigError("; ".join(problems))
        try:
            self.telegram_field = await self.api.field_defined("RetailCustomer", TELEGRAM_FIELD)
        except RegosError as exc:  # an optional check: the bot works without the field
            self.telegram_field = False
            log.warning("could not check the REGOS customer field %s (%s): customers are linked "
                        "to Telegram in this bot's storage only until the next start",
                        TELEGRAM_FIELD, exc)
            return
        if not self.telegram_field:
            log.warning("REGOS has no customer field %s: customers are linked to Telegram in "
                        "this bot's storage only (create the field 'telegram_id' for "
                        "RetailCustomer in REGOS)", TELEGRAM_FIELD)


def shop_of(ctx: ActionContext) -> Shop:
    return ctx.services.get(Shop)
