"""Ticket events POSTed to external systems (a CRM), signed with HMAC-SHA256.

Each request carries the event as JSON (``{"id", "type", "created_at", "data": {"ticket": {...}}}``) and:

* ``Tgflow-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
  ``HMAC-SHA256(secret, "<t>." + raw body)``: receivers recompute it over the raw body, compare in
  constant time, and refuse a ``t`` too far from their clock (replays); several ``v1`` values may appear
  while a secret is being rotated;
* ``Idempotency-Key`` and ``Tgflow-Event-Id``: the event's id, the same on every retry, so a receiver
  that saw it already answers 2xx and does nothing;
* ``Tgflow-Event``: the event type (``ticket.created``, ``ticket.taken``, ``ticket.done``,
  ``ticket.canceled``).

A 2xx answer is success; anything else (another status, a timeout, a refused connection) is retried by
the outbox relay with exponential backoff; ``Retry-After`` (seconds) is honoured when longer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import aiohttp

from actions.tickets.store import OutboxItem

__all__ = ["SIGNATURE_HEADER", "DeliveryFailed", "WebhookSender", "sign", "verify"]

SIGNATURE_HEADER: Final = "Tgflow-Signature"
DEFAULT_TOLERANCE_S: Final = 300
USER_AGENT: Final = "tgflow-tickets-webhooks/1"


class DeliveryFailed(Exception):
    """One attempt failed; ``retry_after`` (seconds) when the receiver asked for a pause."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float,
           tolerance: float = DEFAULT_TOLERANCE_S) -> bool:
    """What a receiver does: the header is well formed, its time within ``tolerance`` seconds of ``now``,
    and one of its ``v1`` signatures matches (compared in constant time)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected, s) for s in signatures)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


@dataclass
class WebhookSender:
    """POSTs one outbox row to its URL (the row's ``destination``). ``clock`` dates the signatures: the
    wall clock, which receivers compare with theirs (never a sandbox's moved clock)."""

    session: aiohttp.ClientSession
    secret: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    timeout: float = 10.0

    async def __call__(self, item: OutboxItem) -> None:
        body = item.payload.encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "Tgflow-Event": item.event_type, "Tgflow-Event-Id": item.event_id,
            "Idempotency-Key": item.event_id, SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        try:
            async with self.session.post(item.destination, data=body, headers=headers, allow_redirects=False,
                                         timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return
                raise DeliveryFailed(f"HTTP {response.status}",
                                     retry_after=_retry_after(response.headers.get("Retry-After")),
                                     permanent=response.status == 410)  # Gone: the receiver is no more
        except TimeoutError:
            raise DeliveryFailed(f"no answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
