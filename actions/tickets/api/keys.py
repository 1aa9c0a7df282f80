"""API keys of the apps that call the VIN desk's API: only their SHA-256 is configured.

``API_KEYS`` lists ``client:sha256hex`` pairs, comma-separated (a secret setting, never logged). A key
is 32 random bytes, URL-safe base64 with a ``vdk_`` prefix (so a leaked one is easy to find in logs and
repositories); the server hashes what a request presents and compares it in constant time with every
configured hash (a key's client is never learnt from timing). Revoking a client is removing its pair:
settings are re-read when their source changes, and a bad pair stops the start with a clear line.

``python -m actions.tickets.api new-key NAME`` prints a new key (give it to the app) and the pair to
add to ``API_KEYS``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from engine.errors import ConfigError

__all__ = ["ApiKeys", "hash_key", "new_key"]

PREFIX = "vdk_"
CLIENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_HASH = re.compile(r"[0-9a-f]{64}")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ApiKeys:
    """Client name → SHA-256 of its key."""

    hashes: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> ApiKeys:
        pairs: list[tuple[str, bytes]] = []
        for number, item in enumerate(filter(None, (p.strip() for p in text.split(","))), 1):
            client, sep, digest = item.partition(":")
            client, digest = client.strip(), digest.strip().lower()
            if not sep or not CLIENT_NAME.fullmatch(client) or not _HASH.fullmatch(digest):
                raise ConfigError(f"API_KEYS, entry {number}: expected client:sha256hex (a client "
                                  "name, a colon, the key's 64 hex digit SHA-256)",
                                  ) from None
            if any(client == known for known, _ in pairs):
                raise ConfigError(f"API_KEYS: client {client!r} is listed twice")
            pairs.append((client, bytes.fromhex(digest)))
        return cls(tuple(pairs))

    def client_of(self, presented: str) -> str | None:
        """The client whose key this is, or None; every configured hash is compared."""
        digest = hashlib.sha256(presented.encode()).digest()
        found: str | None = None
        for client, expected in self.hashes:
            if hmac.compare_digest(digest, expected):
                found = client
        return found
