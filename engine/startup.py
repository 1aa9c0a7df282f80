"""Trying again at start-up: a service that does not answer yet gets a bounded time to come up.

``python -m engine run`` gives Telegram and the action packages' services (REGOS, …)
``STARTUP_RETRY_SECONDS`` (default 60) to answer: a transient failure (no answer, overloaded)
is logged as a warning and tried again with exponential backoff (0.5 s, 1 s, 2 s, … at most
8 s); once the time is up, :class:`~engine.errors.StartupError` says what did not answer and
what to check. A refusal (a wrong key, no access) is not retried. No new attempt starts after
the time is up, but one under way runs to its own timeout.

Tests and the playground start with no retry time (:meth:`StartupRetry.none`): a failure is
reported at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from engine.errors import ConfigError, ServiceUnavailable, StartupError

__all__ = ["RETRY_ENV", "StartupRetry", "is_transient"]

T = TypeVar("T")
RETRY_ENV = "STARTUP_RETRY_SECONDS"
DEFAULT_SECONDS = 60.0
log = logging.getLogger("engine.startup")


def is_transient(exc: BaseException) -> bool:
    """A service's failure worth trying again (see :attr:`ServiceUnavailable.transient`)."""
    return isinstance(exc, ServiceUnavailable) and exc.transient


@dataclass(frozen=True)
class StartupRetry:
    """How long start-up keeps trying a service that does not answer, and how often."""

    seconds: float = DEFAULT_SECONDS
    first_delay: float = 0.5
    max_delay: float = 8.0
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    def none(cls) -> StartupRetry:
        """One attempt: a failure is reported at once."""
        return cls(seconds=0)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> StartupRetry:
        raw = environ.get(RETRY_ENV, "").strip()
        if not raw:
            return cls()
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1
        if not 0 <= seconds < float("inf"):
            raise ConfigError(f"{RETRY_ENV} must be a number of seconds (0 or more), not {raw!r}")
        return cls(seconds=seconds)

    async def run(self, what: str | Callable[[BaseException], str],
                  attempt: Callable[[], Awaitable[T]], *,
                  transient: Callable[[BaseException], bool] = is_transient,
                  hint: Callable[[BaseException], str] = lambda exc: getattr(exc, "hint", "")
                  ) -> T:
        """``await attempt()`` until it succeeds, fails for good, or the time is up.

        ``what`` names the service for the messages (``"the Telegram Bot API"``), or finds its
        name in the failure; a failure for which ``transient`` is false is raised as it is.
        """
        deadline = self.monotonic() + self.seconds
        delay = self.first_delay
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if not transient(exc):
                    raise
                name = what(exc) if callable(what) else what
                left = deadline - self.monotonic()
                if left <= 0:
                    tried = f" (tried for {self.seconds:g} s)" if self.seconds else ""
                    raise StartupError(f"{name} did not answer{tried}: {exc}",
                                       hint=hint(exc)) from exc
                wait = min(delay, left)
                log.warning("%s did not answer (%s); trying again in %.1f s", name, exc, wait)
                await self.sleep(wait)
                delay = min(delay * 2, self.max_delay)
