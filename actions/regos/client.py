"""The REGOS HTTP client: one POST per call, typed errors, retries only where they are safe.

A call is ``POST {base_url}/{integration_key}/v1/{Controller}/{Method}`` with a JSON body.
REGOS answers HTTP 200 with ``{"ok": bool, "result": ...}`` for everything it handles itself,
including its own errors, so ``ok`` is checked on every 200; anything else comes from the
infrastructure in front of it and is handled separately (see :mod:`actions.regos.errors`).

Retry rules:

* :meth:`RegosClient.read` is for idempotent reads. Transport errors, timeouts and rate
  limits (ErrorResult 8213 and HTTP 429) are retried with exponential backoff and jitter, up to
  ``RetryPolicy.attempts`` attempts. Validation, access and other API errors are never retried:
  sending the same request again gives the same answer.
* :meth:`RegosClient.write` is for creates and edits and is never retried blindly. After a
  timeout or a broken connection the outcome is unknown (REGOS may have committed it), so the
  error goes to the caller, which must look the record up (e.g. an order by ``external_code``)
  before sending again. Two answers are retried because they prove nothing was written: a
  rate-limit refusal (8213 / 429, given by the gateway before the request is processed) and a
  connection that could not even be opened (the request never left this process).

Money goes out as exact JSON numbers and comes back as ``Decimal`` (:mod:`actions.regos.codec`).
The integration key is part of the URL, so it is never logged nor put into an error message.
(httpx logs request URLs on its own ``httpx`` logger at INFO: keep that logger at WARNING.)
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from actions.regos import codec
from actions.regos.auth import ClientCredentials
from actions.regos.errors import (
    RegosApiError,
    RegosRateLimited,
    RegosTimeout,
    RegosTransportError,
    error_from_result,
    error_from_status,
)
from actions.regos.models import Page
from actions.regos.ratelimit import MemoryTokenBucket, RateLimiter

__all__ = ["DEFAULT_BASE_URL", "JsonPayload", "RegosClient", "RetryPolicy"]

log = logging.getLogger("actions.regos.client")

DEFAULT_BASE_URL = "https://integration.regos.uz/gateway/out"

JsonPayload = Mapping[str, Any] | Sequence[Any]
Sleep = Callable[[float], Awaitable[None]]

_METHOD = re.compile(r"^[A-Za-z][A-Za-z0-9]*/[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits between d/2 and d, d = base·2^(n-1) ≤ cap.

    ``max_retry_after`` bounds how long one call waits for a rate-limit cooldown: a longer
    ``Retry-After`` is not worth holding a user's request for, so the error is raised at once.
    ``max_cooldown`` bounds the cooldown shared with every process (a proxy asking for an hour
    must not silence the bot for an hour).
    """

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    max_cooldown: float = 60.0

    def delay(self, attempt: int, rnd: Callable[[], float] = random.random) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempt - 1))
        return ceiling / 2 + rnd() * ceiling / 2


class RegosClient:
    """Calls REGOS. The ``httpx.AsyncClient`` is owned (and closed) by the caller."""

    def __init__(self, http: httpx.AsyncClient, *, integration_key: str,
                 connected_integration_id: str, base_url: str = DEFAULT_BASE_URL,
                 rate_limiter: RateLimiter | None = None, timeout: float = 30.0,
                 write_timeout: float = 60.0, connect_timeout: float = 5.0,
                 retry: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep,
                 rnd: Callable[[], float] = random.random,
                 clock: Callable[[], float] = time.monotonic,
                 auth: ClientCredentials | None = None) -> None:
        if not integration_key or "/" in integration_key:
            raise ValueError("integration_key must be a non-empty URL segment")
        self._http = http
        self._key = integration_key
        self.connected_integration_id = connected_integration_id
        self.base_url = base_url.rstrip("/")
        self.limiter: RateLimiter = rate_limiter or MemoryTokenBucket()
        self.retry = retry or RetryPolicy()
        self._timeout = timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._sleep = sleep
        self._rnd = rnd
        self._clock = clock
        self._auth = auth  # a catalog integration's bearer token (the URL segment is then the id)

    def __repr__(self) -> str:
        return (f"RegosClient(base_url={self.base_url!r}, "
                f"connected_integration_id={self.connected_integration_id!r})")

    # ------------------------------------------------------------------ public calls

    async def read(self, method: str, payload: JsonPayload | None = None) -> Any:
        """An idempotent read; returns ``result``. Retried on transport errors and rate limits."""
        envelope = await self._call(method, payload, write=False)
        return envelope.get("result")

    async def read_page(self, method: str, payload: JsonPayload | None = None) -> Page[Any]:
        """A paged read: ``result`` (a list) with ``next_offset`` and ``total`` from the envelope.

        ``next_offset`` is ``None`` on the last page: when REGOS leaves it out or sends null, and
        also when it points at or past ``total``.
        """
        envelope = await self._call(method, payload, write=False)
        result = envelope.get("result")
        if result is None:
            result = []
        if not isinstance(result, list):
            raise RegosApiError(f"{method}: result is not a list", method=method)
        next_offset = _opt_int(envelope.get("next_offset"), method, "next_offset")
        total = _opt_int(envelope.get("total"), method, "total")
        if next_offset is not None and (next_offset <= _offset_of(payload) or not result
                                        or (total is not None and next_offset >= total)):
            next_offset = None
        return Page(items=result, next_offset=next_offset, total=total)

    async def write(self, method: str, payload: JsonPayload | None = None) -> Any:
        """A create or edit; returns ``result``. Never retried after it may have been applied."""
        envelope = await self._call(method, payload, write=True)
        return envelope.get("result")

    # ------------------------------------------------------------------ machinery

    async def _call(self, method: str, payload: JsonPayload | None, *, write: bool) -> dict[str, Any]:
        if not _METHOD.match(method):
            raise ValueError(f"not a REGOS method path: {method!r}")
        body = codec.dumps({} if payload is None else payload)
        request_id = uuid.uuid4().hex
        attempts = max(1, self.retry.attempts)
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                return await self._attempt(method, body, request_id, write=write)
            except RegosRateLimited as exc:
                # Refused before processing: safe to send again, reads and writes alike.
                wait = exc.retry_after if exc.retry_after is not None else self.retry.delay(attempt,
                                                                                            self._rnd)
                await self.limiter.penalize(min(wait, self.retry.max_cooldown))
                if last or wait > self.retry.max_retry_after:
                    raise
                log.info("regos %s rate limited; retrying in %.2fs (attempt %d/%d)", method, wait,
                         attempt + 1, attempts)
            except RegosTransportError as exc:
                # 4xx answers repeat themselves; after a write only "never sent" is retried.
                if last or _is_client_error(exc) or (write and exc.outcome_unknown):
                    raise
                wait = self.retry.delay(attempt, self._rnd)
                log.info("regos %s failed (%s); retrying in %.2fs (attempt %d/%d)", method, exc, wait,
                         attempt + 1, attempts)
                await self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, method: str, body: bytes, request_id: str, *,
                       write: bool) -> dict[str, Any]:
        await self.limiter.acquire()
        url = f"{self.base_url}/{self._key}/v1/{method}"
        headers = {"Content-Type": "application/json;charset=utf-8", "Accept": "application/json",
                   "X-Request-Id": request_id}
        total = self._write_timeout if write else self._timeout
        timeout = httpx.Timeout(total, connect=min(total, self._connect_timeout))
        started = self._clock()
        status: int | str = "-"
        try:
            try:
                response = await self._post(url, body, headers, timeout)
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                status = "timeout"
                raise RegosTimeout(f"{method}: could not connect in time", method=method,
                                   outcome_unknown=False) from exc
            except httpx.TimeoutException as exc:
                status = "timeout"
                raise RegosTimeout(f"{method}: no answer in time ({type(exc).__name__})",
                                   method=method) from exc
            except httpx.ConnectError as exc:
                status = "connect-error"
                raise RegosTransportError(f"{method}: cannot connect ({type(exc).__name__})",
                                          method=method, outcome_unknown=False) from exc
            except httpx.HTTPError as exc:
                status = "transport-error"
                raise RegosTransportError(f"{method}: transport error ({type(exc).__name__})",
                                          method=method) from exc
            status = response.status_code
            envelope = self._envelope(method, response)
            if envelope.get("ok") is not True:
                error = error_from_result(method, envelope.get("result"))
                status = f"200 error {error.code}"
                raise error
            return envelope
        finally:
            elapsed = (self._clock() - started) * 1000
            log.info("regos %s %s %.0fms id=%s", method, status, elapsed, request_id)

    async def _post(self, url: str, body: bytes, headers: dict[str, str],
                    timeout: httpx.Timeout) -> httpx.Response:
        """One POST; with a bearer token, a 401 (token expired or revoked: nothing was processed)
        is sent once more with a fresh token."""
        if self._auth is None:
            return await self._http.post(url, content=body, headers=headers, timeout=timeout)
        for fresh in (False, True):
            bearer = await self._auth.header()
            response = await self._http.post(url, content=body, timeout=timeout,
                                             headers={**headers, "Authorization": bearer})
            if response.status_code != 401 or fresh:
                break
            self._auth.expire(bearer)
        return response

    @staticmethod
    def _envelope(method: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise error_from_status(method, response.status_code, response.headers)
        try:
            envelope = codec.loads(response.content)
        except ValueError as exc:
            raise RegosTransportError(f"{method}: HTTP 200 with a body that is not JSON", method=method,
                                      status=200) from exc
        if not isinstance(envelope, dict) or not isinstance(envelope.get("ok"), bool):
            raise RegosTransportError(f"{method}: HTTP 200 without an ok/result envelope",
                                      method=method, status=200)
        return envelope


def _opt_int(value: Any, method: str, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise RegosApiError(f"{method}: {name} is not an integer", method=method)


def _is_client_error(exc: RegosTransportError) -> bool:
    return exc.status is not None and 400 <= exc.status < 500 and exc.status != 408


def _offset_of(payload: JsonPayload | None) -> int:
    if isinstance(payload, Mapping):
        offset = payload.get("offset")
        if isinstance(offset, int) and not isinstance(offset, bool):
            return offset
    return -1

