"""The panel's log-in: argon2 password hashes, server-side sessions behind a random cookie, a CSRF
token on every form, and lock-outs per account and per address."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from actions.tickets.store import TicketStore
from engine.runtime.storage import KeyValueStore

__all__ = ["COOKIE", "LOGIN_CSRF_COOKIE", "PASSWORD_LIMIT", "Guard", "Login", "hash_password"]

COOKIE = "tgflow_panel"
LOGIN_CSRF_COOKIE = "tgflow_panel_login"
SESSION_TTL = timedelta(hours=8)
LOCK_AFTER = 5  # failures in a row lock an account ...
LOCK_FOR = timedelta(minutes=15)  # ... for this long
ADDRESS_LIMIT = 20  # failures from one address within LOCK_FOR refuse it too
PASSWORD_LIMIT = 256  # characters the log-in form reads (the account command refuses longer ones)
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))  # unknown names cost the same time as known ones


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/admin", httponly=True,
                        samesite="Strict", secure=secure(request))


@dataclass(frozen=True)
class Login:
    name: str
    csrf: str


@dataclass
class Guard:
    store: TicketStore
    kv: KeyValueStore

    async def current(self, request: web.Request) -> Login | None:
        token = request.cookies.get(COOKIE, "")
        if not token or len(token) > 128:
            return None
        found = await self.store.session_of(token_hash(token))
        return None if found is None else Login(*found)

    @staticmethod
    def csrf_ok(expected: str, given: object) -> bool:
        return isinstance(given, str) and bool(expected) and hmac.compare_digest(expected, given)

    def _address_key(self, request: web.Request) -> str:
        return f"panel:failures:{request.remote or '-'}"

    async def log_in(self, request: web.Request, name: str, password: str) -> str | None:
        """A new session's cookie token, or the reason it was refused (``locked``, ``wrong``)
        as ``!reason``."""
        failures = int(await self.kv.get(self._address_key(request)) or 0)
        if failures >= ADDRESS_LIMIT:
            return "!locked"
        account = await self.store.account(name)
        now = self.store.clock()
        # a name nobody has locks like an account (its failures counted in the key-value store),
        # so "locked" does not tell that a name exists
        unknown_key = f"panel:unknown-name:{token_hash(name)}"
        if (account is not None and account.locked_until is not None and account.locked_until > now) \
                or (account is None and int(await self.kv.get(unknown_key) or 0) >= LOCK_AFTER):
            _verify(_DUMMY, password)
            return "!locked"
        if account is None or not _verify(account.password_hash, password):
            if account is None:
                _verify(_DUMMY, password)
            # atomic (Redis INCR under serve): parallel guesses from one address all count; the
            # window starts at the address's first failure
            await self.kv.incr(self._address_key(request), LOCK_FOR.total_seconds())
            if account is None:
                locked = await self.kv.incr(unknown_key, LOCK_FOR.total_seconds()) >= LOCK_AFTER
            else:
                locked = await self.store.login_failed(account.id, lock_after=LOCK_AFTER,
                                                       lock_for=LOCK_FOR)
            return "!locked" if locked else "!wrong"
        token = secrets.token_urlsafe(32)
        await self.store.open_session(account.id, token_hash(token), secrets.token_urlsafe(24),
                                      SESSION_TTL)
        return token

    async def log_out(self, request: web.Request) -> None:
        token = request.cookies.get(COOKIE, "")
        if token:
            await self.store.close_session(token_hash(token))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
