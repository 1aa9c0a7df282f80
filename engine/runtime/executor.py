"""The one executor of outcomes: run an action, check its result, follow the route of its outcome.

Dialogs (buttons, item lists, inputs, continuations, a window's ``load``), event handlers and
jobs all run their calls through :func:`execute`, and every route is followed by :func:`follow`.
What differs between them is where a route leads, given as a :class:`Surface`:

- a dialog's surface keeps the action's data in the dialog data, shows a notice as a toast (a
  short message for typed input) and moves inside the dialog stack (``runtime/flow.py``);
- a handler's surface answers its button (with the notice, or silently), replies to a message
  with the notice, and starts the target's window afresh with the action's data
  (``runtime/handlers.py``);
- a job, and a window's ``load``, have no surface (``None``): the outcome is checked against the
  action's declared outcomes, and no route is followed.

An action that raises, or returns what its contract does not allow, is logged here in one line
naming the step's ``file:line:col`` in the scenario (:attr:`CompiledCall.where`), the action and
the error; the error goes on to the error handlers (the user gets the generic error message).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from engine.actions import ActionContext, ActionSpec, Result
from engine.compile.values import CompiledCall, CompiledRoute
from engine.errors import ActionError, FlowError, StorageUnavailable

__all__ = ["Surface", "check_result", "execute", "failed", "follow"]

log = logging.getLogger("engine.actions")


class Surface(Protocol):
    """Where the outcome of an action shows: the data it keeps, notices, replies, targets."""

    def absorb(self, data: Mapping[str, Any]) -> None:
        """Keep the action's data (what later notices, replies and windows see)."""

    def label(self, key: str) -> str:
        """A label rendered in what the surface shows."""

    def render(self, template: str) -> str:
        """A template rendered in what the surface shows."""

    async def notice(self, text: str | None) -> None:
        """Show a route's notice; ``None`` when the route has none (or nothing was routed)."""

    async def show_reply(self, text: str) -> None:
        """Send a route's reply (an HTML message) to the chat."""

    async def go(self, route: CompiledRoute) -> None:
        """Go to the route's target."""


def check_result(spec: ActionSpec, result: object) -> str:
    """The outcome of ``result``; a :class:`FlowError` when it is no :class:`Result` or an
    outcome the action does not declare."""
    if not isinstance(result, Result):
        raise FlowError(f"action {spec.name} returned {type(result).__name__}, not a Result")
    if result.outcome not in spec.outcomes:
        raise FlowError(
            f"action {spec.name} returned undeclared outcome {result.outcome!r} "
            f"(declared: {', '.join(spec.outcomes)})"
        )
    return result.outcome


async def execute(call: CompiledCall, args: Mapping[str, Any], ctx: ActionContext,
                  surface: Surface | None, *, unrouted: CompiledRoute | None = None) -> Result:
    """Run ``call`` with its evaluated ``args`` and one context, check its result, and follow
    the route of its outcome on ``surface`` (``unrouted``: the route of an outcome the scenario
    does not route). Without a surface the outcome is checked and not followed."""
    try:
        result = await call.spec.func(ctx, **args)
        outcome = check_result(call.spec, result)
    except StorageUnavailable:
        raise  # an outage, not this step's failure: logged once by the storage
    except Exception as exc:
        failed(call, exc)
        raise
    if surface is not None:
        surface.absorb(result.data)
        await follow(call.routes.get(outcome, unrouted), surface)
    return result


def failed(call: CompiledCall, exc: BaseException) -> None:
    """Log one line naming the step that failed (``file:line:col``, the action, the error) and
    note the step on the exception, for the traceback the error handler logs."""
    where = call.where or "(no position)"
    level = logging.WARNING if isinstance(exc, ActionError) else logging.ERROR
    log.log(level, "%s: action %s failed: %s: %s", where, call.spec.name,
            type(exc).__name__, exc)
    exc.add_note(f"in action {call.spec.name} called at {where}")


async def follow(route: CompiledRoute | None, surface: Surface) -> None:
    """Show the route's notice, send its reply, then go to its target (in that order)."""
    await surface.notice(surface.label(route.notice) if route and route.notice else None)
    if route is None:
        return
    if route.reply:
        await surface.show_reply(surface.render(route.reply))
    await surface.go(route)
