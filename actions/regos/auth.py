"""Access tokens of a catalog ("тиражируемая") REGOS integration (regos-api.md §1.2, mode 2).

A catalog integration has a ``client_id`` and ``client_secret``; it trades them for a bearer token
(``POST {auth_url}`` with ``grant_type=client_credentials``, form-encoded) and calls the API of each
shop that connected it at ``{base_url}/{connected_integration_id}/v1/{method}`` with
``Authorization: Bearer <token>``. :class:`ClientCredentials` keeps one token for all of them:
fetched once for concurrent callers, renewed a little before ``expires_in`` runs out (the docs say
to honour it rather than assume a lifetime), and dropped when REGOS answers 401 so the next call
fetches a new one. The secret and the tokens are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from actions.regos import codec
from actions.regos.errors import RegosAccessError, RegosTransportError
from engine.errors import ConfigError

__all__ = ["DEFAULT_AUTH_URL", "ClientCredentials", "access_from"]

log = logging.getLogger("actions.regos.auth")
DEFAULT_AUTH_URL = "https://auth.regos.uz/oauth/token"
METHOD = "oauth/token"
#: a token is renewed this long before it runs out (and never kept beyond 90 % of its life)
RENEW_MARGIN = 30.0


class ClientCredentials:
    """The bearer token of one catalog integration (the ``httpx.AsyncClient`` is the caller's)."""

    def __init__(self, http: httpx.AsyncClient, *, client_id: str, client_secret: str,
                 url: str = DEFAULT_AUTH_URL, timeout: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must both be set")
        self._http, self._id, self._secret, self.url = http, client_id, client_secret, url
        self._timeout, self._clock = timeout, clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self.fetched = 0  # tokens fetched so far (for tests and logs)

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self._id!r}, url={self.url!r})"

    async def header(self) -> str:
        """``Bearer <token>``, fetching a token when there is none or it is about to run out."""
        async with self._lock:
            if self._token is None or self._clock() >= self._expires:
                self._token, lifetime = await self._fetch()
                self._expires = self._clock() + max(1.0, min(lifetime - RENEW_MARGIN, lifetime * 0.9))
                self.fetched += 1
            return f"Bearer {self._token}"

    def expire(self, header: str) -> None:
        """REGOS refused ``header`` (401): the next :meth:`header` fetches a new token, unless
        another caller already did."""
        if self._token is not None and header == f"Bearer {self._token}":
            self._token = None

    async def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_id": self._id,
                "client_secret": self._secret}
        try:
            response = await self._http.post(self.url, data=form, timeout=self._timeout,
                                             headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise RegosTransportError(f"{METHOD}: cannot get an access token ({type(exc).__name__})",
                                      method=METHOD) from exc
        if response.status_code in (400, 401, 403):
            raise RegosAccessError(f"{METHOD}: client credentials refused (HTTP {response.status_code})",
                                   method=METHOD)
        if response.status_code != 200:
            raise RegosTransportError(f"{METHOD}: HTTP {response.status_code}", method=METHOD,
                                      status=response.status_code)
        try:
            body: Any = codec.loads(response.content)
        except ValueError as exc:
            raise RegosTransportError(f"{METHOD}: the answer is not JSON", method=METHOD,
                                      status=200) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float) \
                or isinstance(lifetime, bool) or lifetime <= 0:
            raise RegosTransportError(f"{METHOD}: no access_token/expires_in in the answer",
                                      method=METHOD, status=200)
        log.info("regos: access token for %s fetched, valid %ss", self._id, lifetime)
        return token, float(lifetime)


def access_from(environ: Mapping[str, str], http: httpx.AsyncClient) -> tuple[str, ClientCredentials | None]:
    """What a shop's calls need, from its settings: the URL segment and, for a catalog integration,
    its token source. ``REGOS_CLIENT_ID`` + ``REGOS_CLIENT_SECRET`` (+ ``REGOS_AUTH_URL``) make a
    catalog integration, whose segment is ``REGOS_CONNECTED_INTEGRATION_ID``; otherwise the local
    integration's ``REGOS_INTEGRATION_KEY`` is the segment."""
    ci = environ.get("REGOS_CONNECTED_INTEGRATION_ID", "")
    client_id, secret = environ.get("REGOS_CLIENT_ID", ""), environ.get("REGOS_CLIENT_SECRET", "")
    if client_id or secret:
        if not (client_id and secret and ci):
            raise ConfigError("REGOS_CLIENT_ID, REGOS_CLIENT_SECRET and REGOS_CONNECTED_INTEGRATION_ID "
                              "must all be set for a catalog integration")
        auth = ClientCredentials(http, client_id=client_id, client_secret=secret,
                                 url=environ.get("REGOS_AUTH_URL") or DEFAULT_AUTH_URL)
        return ci, auth
    missing = [name for name in ("REGOS_INTEGRATION_KEY", "REGOS_CONNECTED_INTEGRATION_ID")
               if not environ.get(name)]
    if missing:
        raise ConfigError(f"{' and '.join(missing)} must be set for the REGOS shop (or "
                          "REGOS_CLIENT_ID and REGOS_CLIENT_SECRET for a catalog integration; "
                          "'python -m engine shell' uses the demo shop)")
    return environ["REGOS_INTEGRATION_KEY"], None
