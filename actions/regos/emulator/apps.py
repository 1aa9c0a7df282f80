"""Catalog integrations in the emulator: client-credentials tokens and ``ConnectedIntegration/Get``.

A :class:`~actions.regos.emulator.shop.CatalogApp` trades its ``client_id``/``client_secret`` for a
bearer token at ``POST /oauth/token`` (form-encoded, ``grant_type=client_credentials``; answered
``{access_token, token_type: "Bearer", expires_in}`` as regos-api.md §1.2 prints it, 401 for wrong
credentials) and calls ``/gateway/out/{connected_integration_id}/v1/...`` with it.
``ConnectedIntegration/Get`` (§12.3) lists the connected integrations the caller may see: a local
key sees its own, a catalog integration every shop that connected it (``connected_integration_ids``
narrows the list); each row carries ``is_active``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from actions.regos.emulator.common import Call, validation

__all__ = ["HANDLERS", "Tokens", "connected_integration_get"]


class Tokens:
    """Bearer tokens handed out to catalog integrations (client_id and expiry by token)."""

    def __init__(self, lifetime: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime, self._clock = lifetime, clock
        self._issued: dict[str, tuple[str, float]] = {}

    def issue(self, client_id: str) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        self._issued[token] = (client_id, self._clock() + self.lifetime)
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(self.lifetime),
                "scope": "integration"}

    def client_of(self, authorization: str | None) -> str | None:
        """The client_id a valid ``Bearer`` header belongs to; None when missing, unknown or expired."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        found = self._issued.get(authorization[len("Bearer "):])
        if found is None or self._clock() >= found[1]:
            return None
        return found[0]

    def revoke_all(self) -> None:
        """Every token stops working (REGOS answers 401 until a new one is fetched)."""
        self._issued.clear()


def _row(ci: str, *, active: bool, name: str, key: str | None, public: bool) -> dict[str, Any]:
    return {"name": name, "description": None, "endpoint": None, "webhooks": [], "image_url": None,
            "docs_url": None, "version": "1.0", "has_web_ui": False, "proxy_enabled": False,
            "web_ui_url": None, "has_iap": False, "key": key, "is_public": public,
            "connected_integration_id": ci, "alias": None, "owner": None, "handler": None,
            "handlers": [], "scheduled": False, "schedule": None, "check_enabled": False,
            "is_active": active, "user": None}


def connected_integration_get(call: Call) -> dict[str, Any]:
    body = call.body()
    wanted = body.get("connected_integration_ids")
    if wanted is not None and (not isinstance(wanted, list)
                               or not all(isinstance(ci, str) for ci in wanted)):
        raise validation("connected_integration_ids", "a list of strings is expected")
    rows: list[dict[str, Any]]
    if call.app is not None:
        app = call.shop.apps[call.app]
        rows = [_row(ci, active=active, name=app.name, key=None, public=True)
                for ci, active in app.connected.items()]
    else:
        key = next((k for k, ci in call.shop.integrations.items() if ci == call.connected_integration_id),
                   None)
        rows = [_row(call.connected_integration_id, active=True, name="Local integration", key=key,
                     public=False)]
    if wanted is not None:
        rows = [row for row in rows if row["connected_integration_id"] in wanted]
    return {"ok": True, "result": rows}


HANDLERS = {"ConnectedIntegration/Get": connected_integration_get}
