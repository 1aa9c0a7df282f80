"""Running actions and following routes inside dialogs.

A click or an input becomes: build the scope -> evaluate the call's arguments -> run the action
with one :class:`ActionContext` -> merge its data into the dialog data -> follow the route of its
outcome (switch window, go back, start another dialog, reset to the menu, close the dialog).

A route that starts another dialog may carry a continuation (``then:``). It travels in that
dialog's start data (JSON, so it survives a restart with Redis) and is taken by :func:`resume`
when the dialog finishes (``done``), never when it is cancelled: a target to go to, or the same
call again, found by its stable key and re-evaluated with the same input (``value``/``item_id``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Chat, Message, User
from aiogram_dialog import DialogManager, ShowMode, StartMode
from pydantic import ValidationError

from engine.actions import ActionContext, EventInfo, Result
from engine.compile.values import CompiledCall, CompiledRoute, StateMap
from engine.errors import FlowError
from engine.runtime.context import LOCALE_KEY, RUNTIME_KEY, Runtime, chat_info, user_info
from engine.runtime.executor import execute, follow
from engine.runtime.sender import sender_of
from engine.scenario.targets import Target
from engine.widgets.text import VIEW_KEY, view_of

__all__ = [
    "FINISHED",
    "HISTORY_KEY",
    "DialogFlow",
    "DialogSurface",
    "call_action",
    "click_scope",
    "follow_route",
    "jsonable",
    "resume",
    "run_call",
]

HISTORY_KEY = "_history"
#: the key of a continuation in a sub-dialog's start data
THEN_KEY = "_then"
#: what a dialog closed by ``done`` hands to its caller (``cancel`` and ``back`` hand nothing)
FINISHED = "finished"
#: where an outcome the scenario does not route leads inside a dialog: nowhere
STAY = CompiledRoute(Target("stay"))
log = logging.getLogger("engine.flow")


def jsonable(value: Any) -> Any:
    """Dialog data must survive Redis: Decimal and dates become strings; others must be JSON."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise FlowError(f"value of type {type(value).__name__} cannot be kept in dialog data")


def runtime_of(manager: DialogManager) -> Runtime:
    return cast(Runtime, manager.middleware_data[RUNTIME_KEY])


def locale_of(manager: DialogManager) -> str:
    locale = manager.middleware_data.get(LOCALE_KEY)
    if isinstance(locale, str):
        return locale
    return runtime_of(manager).scenario.default_locale


def widget_scope(manager: DialogManager) -> dict[str, Any]:
    """Pager pages and counter values of the current context (the render variables of the
    widget-data keys the window's kinds declare)."""
    context = manager.current_context()
    states = manager.middleware_data.get("engine_states")
    group = (context.state.state or "").partition(":")[0]
    known = states if isinstance(states, StateMap) else StateMap({}, State())
    scope: dict[str, dict[str, Any]] = {"pages": {}, "counters": {}}
    for data in known.widget_data.get(group, ()):
        value = context.widget_data.get(data.key, data.default)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        scope.setdefault(str(data.scope), {})[data.ident] = value
    return scope


def click_scope(manager: DialogManager) -> dict[str, Any]:
    """What arguments of click and input actions see: built-ins, start data, dialog data."""
    runtime = runtime_of(manager)
    user = cast(User | None, manager.middleware_data.get("event_from_user"))
    chat = cast(Chat | None, manager.middleware_data.get("event_chat"))
    context = manager.current_context()
    scope = runtime.base_scope(user_info(user), chat_info(chat), locale_of(manager))
    start = context.start_data if isinstance(context.start_data, dict) else {}
    # a handler that starts a window hands over its action's data: seen like dialog data
    scope.update({k: v for k, v in start.items() if not k.startswith("_")})
    scope["start"] = start
    scope.update(widget_scope(manager))
    scope.update({k: v for k, v in context.dialog_data.items() if not k.startswith("_")})
    scope["view"] = view_of(manager)
    return scope


async def run_call(
    manager: DialogManager, call: CompiledCall, dialog_id: str, extra: Mapping[str, Any],
    event: EventInfo,
) -> None:
    """Run an action from a click or an input and follow the route of its outcome (an outcome
    the scenario does not route stays on the window)."""
    scope = click_scope(manager)
    scope.update(extra)
    data = manager.current_context().dialog_data
    await execute(call, evaluate_args(call, scope), dialog_context(manager, data, event),
                  DialogSurface(manager, dialog_id, call.key, extra), unrouted=STAY)


async def call_action(
    manager: DialogManager, call: CompiledCall, scope: Mapping[str, Any],
    data: dict[str, Any], event: EventInfo | None = None,
) -> Result:
    """Evaluate the arguments in ``scope``, run the action with one context, check its result
    (a window's ``load``: its outcome is not routed)."""
    ctx = dialog_context(manager, data, event)
    return await execute(call, evaluate_args(call, scope), ctx, None)


def dialog_context(manager: DialogManager, data: dict[str, Any],
                   event: EventInfo | None) -> ActionContext:
    user = cast(User | None, manager.middleware_data.get("event_from_user"))
    chat = cast(Chat | None, manager.middleware_data.get("event_chat"))
    return runtime_of(manager).action_context(user_info(user), chat_info(chat),
                                              locale_of(manager), data, event)


def evaluate_args(call: CompiledCall, scope: Mapping[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, evaluator in call.args.items():
        value = evaluator(scope)
        adapter = call.adapters.get(name)
        if adapter is not None:
            try:
                value = adapter.validate_python(value)
            except ValidationError as exc:
                raise FlowError(
                    f"{call.where or '(no position)'}: argument {name!r} of {call.spec.name}: "
                    f"{exc.errors()[0]['msg']} (got {value!r})"
                ) from None
        args[name] = value
    return args


class DialogSurface:
    """A route followed inside a dialog (:class:`engine.runtime.executor.Surface`): the action's
    data joins the dialog data, a notice is a toast (a short message for typed input), a reply
    is a message, and the target moves inside the dialog stack. ``again_key``/``extra``: the
    call and its input, for a continuation that runs the call again (``then: again``)."""

    def __init__(self, manager: DialogManager, dialog_id: str, again_key: str | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        self.manager = manager
        self.dialog_id = dialog_id
        self.again_key = again_key
        self.extra = extra or {}

    def absorb(self, data: Mapping[str, Any]) -> None:
        self.manager.current_context().dialog_data.update(jsonable(dict(data)))

    def label(self, key: str) -> str:
        manager = self.manager
        return runtime_of(manager).label(key, locale_of(manager), click_scope(manager))

    def render(self, template: str) -> str:
        manager = self.manager
        return runtime_of(manager).render(template, locale_of(manager), click_scope(manager))

    async def notice(self, text: str | None) -> None:
        if text is not None:
            await show_notice(self.manager, text)

    async def show_reply(self, text: str) -> None:
        chat = cast(Chat, self.manager.middleware_data["event_chat"])
        await sender_of(self.manager.middleware_data).send_text(chat.id, text)
        self.manager.show_mode = ShowMode.SEND

    async def go(self, route: CompiledRoute) -> None:
        then: dict[str, Any] | None = None
        if route.again and self.again_key is not None:
            then = {"dialog": self.dialog_id, "again": self.again_key,
                    "extra": jsonable(dict(self.extra))}
        elif route.then is not None:
            then = {"dialog": self.dialog_id,
                    "go": [route.then.kind, route.then.dialog, route.then.window]}
        window = route.target.window
        if route.target.kind == "stay" and route.text:  # the window shown now takes it
            window = (self.manager.current_context().state.state or "").rpartition(":")[2]
            self.manager.current_context().dialog_data[VIEW_KEY] = \
                {"window": window, "text": route.text}
        view = {"window": window, "text": route.text} if route.text else {}
        await go(self.manager, route.target, self.dialog_id, then, view)


async def follow_route(manager: DialogManager, route: CompiledRoute, dialog_id: str) -> None:
    """Follow a route with no action (a button's or an input's ``go:``) inside the dialog."""
    await follow(route, DialogSurface(manager, dialog_id))


class DialogFlow:
    """Implements :class:`engine.compile.executors.DialogFlowProtocol` (what compiled dialogs and
    widgets call at run time)."""

    def scope(self, manager: DialogManager) -> dict[str, Any]:
        return click_scope(manager)

    def label(self, manager: DialogManager, key: str, data: Mapping[str, Any]) -> str:
        return runtime_of(manager).label(key, locale_of(manager), data)

    def render(self, manager: DialogManager, template: str, data: Mapping[str, Any]) -> str:
        return runtime_of(manager).render(template, locale_of(manager), data)

    async def run_call(self, manager: DialogManager, call: CompiledCall, dialog_id: str,
                       extra: Mapping[str, Any], event: EventInfo) -> None:
        await run_call(manager, call, dialog_id, extra, event)

    async def follow_route(self, manager: DialogManager, route: CompiledRoute,
                           dialog_id: str) -> None:
        await follow_route(manager, route, dialog_id)

    async def load(self, manager: DialogManager, call: CompiledCall | None) -> dict[str, Any]:
        scope = click_scope(manager)
        if call is None:
            return scope
        # a load action reads a copy of the dialog data: what it renders is not persisted
        data = dict(manager.current_context().dialog_data)
        result = await call_action(manager, call, scope, data)
        scope.update(result.data)
        return scope

    async def resume(self, start_data: Any, result: Any, manager: DialogManager) -> None:
        await resume(start_data, result, manager)

    async def tell(self, manager: DialogManager, message: Message, text: str) -> None:
        await sender_of(manager.middleware_data).answer(message, text)


async def resume(start_data: Any, result: Any, manager: DialogManager) -> None:
    """A sub-dialog closed (aiogram-dialog's ``on_process_result``): when it finished, take
    the continuation it was started with; when it was cancelled, the caller just shows again."""
    then = start_data.get(THEN_KEY) if isinstance(start_data, dict) else None
    if result != FINISHED or not isinstance(then, dict):
        return
    dialog_id = str(then.get("dialog"))
    if "again" in then:
        states = cast(StateMap, manager.middleware_data["engine_states"])
        call = states.calls.get(str(then["again"]))
        if call is None:  # the scenario changed since the sub-dialog started
            log.warning("continuation of a call that no longer exists in dialog %s", dialog_id)
            return
        await run_call(manager, call, dialog_id, dict(then.get("extra") or {}), EventInfo())
        return
    kind, did, wid = then["go"]
    await go(manager, Target(kind, did, wid), dialog_id)


async def show_notice(manager: DialogManager, text: str) -> None:
    """A toast for button clicks; a short message for anything else."""
    event = manager.event
    if isinstance(event, CallbackQuery):
        pending = manager.middleware_data.get("engine_pending_notices")
        if isinstance(pending, dict):
            pending[event.id] = text
        return
    if isinstance(event, Message):
        await sender_of(manager.middleware_data).answer(event, text, parse_mode=None)
        manager.show_mode = ShowMode.SEND


def _past_skipped(manager: DialogManager, states: StateMap, target: Target) -> Target:
    """A window whose ``skip:`` condition holds passes the route on to its ``skip.go`` (seen
    from that window's dialog); a chain of them is followed, a cycle is an error."""
    seen: set[tuple[str, str]] = set()
    while target.kind == "window" and target.dialog is not None and target.window is not None:
        key = (target.dialog, target.window)
        skip = states.skips.get(key)
        if skip is None or not skip[0](click_scope(manager)):
            break
        if key in seen:
            raise FlowError(f"windows skip each other in a cycle at {key[0]}.{key[1]}")
        seen.add(key)
        target = skip[1]
    return target


async def go(manager: DialogManager, target: Target, dialog_id: str,
             then: dict[str, Any] | None = None, view: dict[str, Any] | None = None) -> None:
    """Move to ``target``; ``view``: the route's ``text:`` for the window it enters
    (:data:`~engine.widgets.text.VIEW_KEY`), emptied by a move without one."""
    states = cast(StateMap, manager.middleware_data["engine_states"])
    target = _past_skipped(manager, states, target)
    context = manager.current_context()
    history = cast(list[str], context.dialog_data.setdefault(HISTORY_KEY, []))
    if target.kind == "stay":
        return
    if target.kind == "back":
        if history:
            previous = history.pop()
            await manager.switch_to(states[(dialog_id, previous)])
        else:
            await manager.done()
        return
    if target.kind in ("done", "cancel"):
        await manager.done(FINISHED if target.kind == "done" else None)
        return
    if target.kind == "menu":
        await manager.start(states.menu, mode=StartMode.RESET_STACK)
        return
    assert target.dialog is not None
    assert target.window is not None
    state = states[(target.dialog, target.window)]
    if target.dialog == dialog_id:
        current = context.state.state or ""
        window = current.rpartition(":")[2]
        if window != target.window:
            history.append(window)
            del history[:-50]
            # entered forward: its pagers start at page 1 and its counters at their default;
            # ``back`` returns to them as they were
            for key in states.fresh_keys.get((target.dialog, target.window), ()):
                context.widget_data.pop(key, None)
        context.dialog_data[VIEW_KEY] = view or {}
        await manager.switch_to(state)
    else:
        data = {**({THEN_KEY: then} if then else {}), **({VIEW_KEY: view} if view else {})}
        await manager.start(state, data=data or None)
