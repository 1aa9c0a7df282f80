"""Fault switches: make the next calls of a method fail in a chosen way.

    emu.faults.fail_next("Item/GetExt", "http502")                 # once
    emu.faults.fail_next("DocOrderDelivery/AddFull", "commit_then_timeout")
    emu.faults.fail_next("RetailCustomer/Get", ("error", 1008, "... Details: main_phone"), times=2)
    emu.faults.fail_next("*", "rate_limit")                        # whichever method comes next

Kinds:

``"rate_limit"``           HTTP 200, ErrorResult 8213; nothing is processed
``"http429"``              HTTP 429 with ``Retry-After`` (``retry_after`` seconds, default 1)
``"http500"``/``"http502"`` that HTTP status with a non-JSON body; nothing is processed
``"bad_json"``             HTTP 200 with an HTML body (a proxy's error page)
``"timeout"``              the server stalls ``emu.stall_seconds`` and processes nothing
``"commit_then_timeout"``  the call is applied, then the server stalls: the client times out
                           although the change (e.g. the order) exists
``("error", code, text)``  HTTP 200 with that ErrorResult
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FAULT_KINDS", "Fault", "FaultKind", "Faults"]

SimpleKind = Literal["rate_limit", "http429", "http500", "http502", "bad_json", "timeout",
                     "commit_then_timeout"]
FaultKind = SimpleKind | tuple[Literal["error"], int, str]
FAULT_KINDS: tuple[str, ...] = ("rate_limit", "http429", "http500", "http502", "bad_json", "timeout",
                                "commit_then_timeout")


@dataclass(frozen=True)
class Fault:
    kind: str
    code: int | None = None
    description: str = ""
    retry_after: float | None = None


class Faults:
    """Queued faults per method (case-insensitive; ``"*"`` = any method)."""

    def __init__(self) -> None:
        self._queues: dict[str, list[Fault]] = {}

    def fail_next(self, method: str, kind: FaultKind, times: int = 1, *,
                  retry_after: float | None = 1.0) -> None:
        if isinstance(kind, tuple):
            tag, code, description = kind
            if tag != "error":
                raise ValueError(f"unknown fault {kind!r}")
            fault = Fault("error", code=code, description=description)
        elif kind in FAULT_KINDS:
            fault = Fault(kind, retry_after=retry_after if kind == "http429" else None)
        else:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS} or ('error', code, text)")
        if times < 1:
            raise ValueError("times must be >= 1")
        self._queues.setdefault(method.lower(), []).extend([fault] * times)

    def take(self, method: str) -> Fault | None:
        """The next fault for this method (its own queue first, then ``"*"``), removing it."""
        for key in (method.lower(), "*"):
            queue = self._queues.get(key)
            if queue:
                return queue.pop(0)
        return None

    def pending(self, method: str) -> int:
        return len(self._queues.get(method.lower(), []))

    def clear(self) -> None:
        self._queues.clear()
