"""Catalog reads through a short-lived cache, with identical concurrent requests coalesced.

REGOS allows 2 requests a second per integration. Many customers paging the same category at
once must not each cost a call: a page is cached in the key-value store (Redis, shared by all
processes) for ``ttl`` seconds, and while one request for a page is in flight every other
identical request in this process waits for its answer instead of calling REGOS again.
Items are cached as plain JSON-friendly views (what the templates show), never as floats.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from actions.regos.api import RegosApi
from actions.regos.models import ItemExt
from actions.shop.cart_store import plain
from engine.runtime.storage import KeyValueStore

__all__ = ["CatalogCache", "item_view"]

log = logging.getLogger("actions.shop.catalog")
T = TypeVar("T")


def item_view(ext: ItemExt) -> dict[str, Any]:
    """An item as the templates and the cart see it (money and stock as decimal strings)."""
    price = ext.price if ext.price is not None else None
    stock = ext.quantity_allowed
    return {
        "id": ext.item.id,
        "name": ext.item.name,
        "articul": ext.item.articul,
        "description": ext.item.description,
        "price": plain(price) if price is not None else None,
        "stock": plain(stock),
        "piece": ext.is_piece,
        "unit": ext.item.unit.name if ext.item.unit else "",
        "image_url": ext.image_url or None,
        "available": bool(price is not None and price > 0 and stock > 0),
    }


class CatalogCache:
    def __init__(self, api: RegosApi, kv: KeyValueStore, connected_integration_id: str, *,
                 ttl: float = 60) -> None:
        self.api = api
        self.kv = kv
        self.ci = connected_integration_id
        self.ttl = ttl
        self._inflight: dict[str, asyncio.Future[Any]] = {}

    def _key(self, kind: str, params: dict[str, Any]) -> str:
        digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
        return f"shop:cat:{self.ci}:{kind}:{digest[:20]}"

    async def _cached(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        raw = await self.kv.get(key)
        if raw is not None:
            return cast(T, json.loads(raw))
        running = self._inflight.get(key)
        if running is not None:
            return cast(T, await asyncio.shield(running))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
            await self.kv.set(key, json.dumps(value, ensure_ascii=False), self.ttl)
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs "never retrieved"
            raise
        finally:
            del self._inflight[key]

    async def groups(self) -> list[dict[str, Any]]:
        async def load() -> list[dict[str, Any]]:
            groups = await self.api.item_groups()
            return [{"id": g.id, "parent_id": g.parent_id, "name": g.name, "path": g.path}
                    for g in groups]
        return await self._cached(self._key("groups", {}), load)

    async def delivery_types(self) -> list[tuple[int, str]]:
        """``DeliveryType/Get``, cached like the catalog (every checkout and its confirmation
        screen ask for it)."""
        async def load() -> list[list[Any]]:
            return [[i, n] for i, n in await self.api.delivery_types()]
        return [(int(i), str(n)) for i, n in await self._cached(self._key("delivery_types", {}), load)]

    async def payment_types(self) -> list[tuple[int, str]]:
        """``PaymentType/Get``, cached like the catalog."""
        async def load() -> list[list[Any]]:
            return [[i, n] for i, n in await self.api.payment_types()]
        return [(int(i), str(n)) for i, n in await self._cached(self._key("payment_types", {}), load)]

    async def page(self, *, stock_id: int, price_type_id: int, zero_quantity: bool,
                   has_image: bool | None, image_size: str, search: str | None,
                   group_id: int | None, limit: int, offset: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "stock_id": stock_id, "price_type_id": price_type_id, "zero_quantity": zero_quantity,
            "has_image": has_image, "image_size": image_size, "search": search,
            "group_id": group_id, "limit": limit, "offset": offset,
        }

        async def load() -> dict[str, Any]:
            page = await self.api.items(
                stock_id=stock_id, price_type_id=price_type_id, zero_quantity=zero_quantity,
                has_image=has_image, image_size=image_size, search=search or None,
                group_ids=[group_id] if group_id else None, limit=limit, offset=offset)
            items = [item_view(ext) for ext in page.items]
            total = page.total if page.total is not None else offset + len(items)
            return {"items": items, "total": total, "next_offset": page.next_offset}
        return await self._cached(self._key("page", params), load)

    async def item(self, item_id: int, *, stock_id: int, price_type_id: int,
                   image_size: str) -> dict[str, Any] | None:
        """One item (cached): for the item card and adding to the cart."""
        params = {"id": item_id, "stock_id": stock_id, "price_type_id": price_type_id,
                  "image_size": image_size}

        async def load() -> dict[str, Any] | None:
            found = await self.fresh_items([item_id], stock_id=stock_id,
                                           price_type_id=price_type_id, image_size=image_size)
            return found.get(item_id)
        return await self._cached(self._key("item", params), load)

    async def fresh_items(self, ids: list[int], *, stock_id: int, price_type_id: int,
                          image_size: str = "Small") -> dict[int, dict[str, Any]]:
        """Current prices and stock of ``ids`` straight from REGOS (checkout uses this)."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 100):
            chunk = ids[start:start + 100]
            page = await self.api.items(
                stock_id=stock_id, price_type_id=price_type_id, zero_quantity=True,
                has_image=None, image_size=image_size, ids=chunk, limit=len(chunk), offset=0)
            for ext in page.items:
                found[ext.item.id] = item_view(ext)
        return found
