"""Integration settings from REGOS, cached in the key-value store, with a stale copy as a fallback.

``fetch()`` returns the settings of one connected integration with upper-cased keys (REGOS keys
are case-insensitive). A fresh copy is kept for ``ttl`` seconds and a stale copy for
``stale_ttl``; when REGOS fails and the fresh copy has expired, the stale copy is served (with a
warning) so a short REGOS outage does not stop the bot. Concurrent fetches in one process share
one REGOS call.

Secrets (``BOT_TOKEN`` and every key containing TOKEN, SECRET or PASSWORD) never reach the
cache: they are kept in this process only. The cached copy records their *names*, so a process
that has not seen their values yet fetches from REGOS instead of returning settings without them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

from redis.exceptions import RedisError

from actions.regos.errors import RegosError
from engine.runtime.storage import KeyValueStore

__all__ = ["RegosSettingsSource", "SettingsApi", "is_secret"]

log = logging.getLogger("actions.regos.settings")

_SECRET_MARKERS = ("TOKEN", "SECRET", "PASSWORD")


def is_secret(key: str) -> bool:
    upper = key.upper()
    return any(marker in upper for marker in _SECRET_MARKERS)


class SettingsApi(Protocol):
    async def integration_settings(self) -> dict[str, str]: ...


class RegosSettingsSource:
    def __init__(self, api: SettingsApi, kv: KeyValueStore, connected_integration_id: str, *,
                 ttl: float = 60, stale_ttl: float = 86400, prefix: str = "regos:settings") -> None:
        self.name = "REGOS"
        self._api = api
        self._kv = kv
        self.fresh_key = f"{prefix}:{connected_integration_id}"
        self.stale_key = f"{prefix}:{connected_integration_id}:stale"
        self._ttl = ttl
        self._stale_ttl = max(stale_ttl, ttl)
        self._secrets: dict[str, str] = {}
        self._inflight: asyncio.Future[dict[str, str]] | None = None

    async def fetch(self) -> dict[str, str]:
        """The settings (a new dict each call): cached, else from REGOS, else the stale copy."""
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._load())
            self._inflight.add_done_callback(self._done)
        return dict(await asyncio.shield(self._inflight))

    async def refresh(self) -> dict[str, str]:
        """Drop the fresh copy and fetch again (e.g. after REGOS sent ``UpdateSettings``)."""
        await self._cache_delete(self.fresh_key)
        return await self.fetch()

    def _done(self, future: asyncio.Future[dict[str, str]]) -> None:
        self._inflight = None
        if not future.cancelled():
            future.exception()  # retrieved here, so an unawaited failure is not reported twice

    async def _load(self) -> dict[str, str]:
        cached = await self._cached(self.fresh_key)
        if cached is not None:
            return cached
        try:
            fetched = await self._api.integration_settings()
        except RegosError as exc:
            stale = await self._cached(self.stale_key, require_secrets=False)
            if stale is None:
                raise
            log.warning("REGOS settings unavailable (%s); serving the stale copy", exc)
            return stale
        settings = {key.upper(): value for key, value in fetched.items()}
        self._secrets = {k: v for k, v in settings.items() if is_secret(k)}
        document = json.dumps({
            "settings": {k: v for k, v in settings.items() if not is_secret(k)},
            "secret_keys": sorted(self._secrets),
        }, ensure_ascii=False)
        await self._cache_set(self.fresh_key, document, self._ttl)
        await self._cache_set(self.stale_key, document, self._stale_ttl)
        return settings

    async def _cached(self, key: str, *, require_secrets: bool = True) -> dict[str, str] | None:
        try:
            raw = await self._kv.get(key)
        except (RedisError, OSError) as exc:
            log.warning("settings cache unreadable (%s)", exc)
            return None
        if raw is None:
            return None
        document = _decode(raw)
        if document is None:
            return None
        settings, secret_keys = document
        missing = [k for k in secret_keys if k not in self._secrets]
        if missing and require_secrets:
            return None  # another process cached them; this one has not seen the values yet
        settings.update({k: v for k, v in self._secrets.items() if k in secret_keys})
        return settings

    async def _cache_set(self, key: str, value: str, ttl: float) -> None:
        try:
            await self._kv.set(key, value, ttl)
        except (RedisError, OSError) as exc:
            log.warning("settings cache not writable (%s)", exc)

    async def _cache_delete(self, key: str) -> None:
        try:
            await self._kv.delete(key)
        except (RedisError, OSError) as exc:
            log.warning("settings cache not writable (%s)", exc)


def _decode(raw: str) -> tuple[dict[str, str], list[str]] | None:
    try:
        document: Any = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    settings = document.get("settings")
    secret_keys = document.get("secret_keys", [])
    if not isinstance(settings, dict) or not isinstance(secret_keys, list):
        return None
    return ({str(k): str(v) for k, v in settings.items()},
            [str(k) for k in secret_keys])
