"""The actions contract: how Python code plugs into a scenario.

An action is ``async def name(ctx: ActionContext, **params) -> Result`` decorated with
:func:`action`, which declares its outcomes and the data keys its result provides::

    @action(outcomes=("ok", "empty"), provides=("items",))
    async def list_items(ctx: ActionContext, *, group_id: int, page: int = 0) -> Result:
        ...
        return Result.ok(items=items)

A scenario names the packages it uses (``actions: {shop: actions.shop}``); the registry imports
them once at start-up and binds each decorated function to ``<namespace>.<module path>.<name>``
(``shop.cart.add`` for ``actions/shop/cart.py:add``). Actions never build keyboards or call the
Bot to show screens: they return an outcome and data; the scenario decides what comes next.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol, TypeVar, cast, get_type_hints

__all__ = [
    "ActionContext",
    "ActionRegistry",
    "ActionSpec",
    "ChatInfo",
    "EventInfo",
    "NotifierProtocol",
    "Result",
    "Services",
    "UserInfo",
    "action",
]

T = TypeVar("T")
ActionFunc = Callable[..., Awaitable["Result"]]
_MARK = "__engine_action__"
RESERVED_NAMES = frozenset({"ctx"})


@dataclass(frozen=True)
class Result:
    """What an action returns: an outcome (routed by the scenario) and data.

    ``data`` is merged into the dialog data (so it must be JSON-friendly: str, int, float, bool,
    None, lists and dicts; Decimal and datetime are stored as strings). Data returned by a
    window's ``load`` action is used for rendering only and may hold anything (e.g. bytes).
    """

    outcome: str = "ok"
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, **data: Any) -> Result:
        return cls("ok", data)

    @classmethod
    def of(cls, outcome: str, **data: Any) -> Result:
        return cls(outcome, data)


@dataclass(frozen=True)
class UserInfo:
    id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class ChatInfo:
    id: int
    type: str
    title: str | None = None

    @property
    def is_private(self) -> bool:
        return self.type == "private"


@dataclass(frozen=True)
class Contact:
    phone_number: str
    first_name: str
    user_id: int | None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Document:
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int | None


@dataclass(frozen=True)
class EventInfo:
    """What the user sent with the event that triggered the action."""

    text: str | None = None
    message_id: int | None = None
    reply_to_message_id: int | None = None
    contact: Contact | None = None
    location: Location | None = None
    document: Document | None = None
    callback_args: tuple[str, ...] = ()


class NotifierProtocol(Protocol):
    """Sends the scenario's side messages (``messages:``) to other chats."""

    async def send(
        self, message: str, chat_id: int, data: Mapping[str, Any], *, locale: str | None = None,
        document: Document | None = None, reply_to: int | None = None,
    ) -> int: ...

    async def edit(
        self, message: str, chat_id: int, message_id: int, data: Mapping[str, Any],
        *, locale: str | None = None,
    ) -> None: ...

    async def send_document(
        self, chat_id: int, document: Document, *, caption_template: str | None = None,
        data: Mapping[str, Any] | None = None, locale: str | None = None,
    ) -> int: ...


class Services:
    """A typed service locator: ``ctx.services.get(CartStore)``. Filled once at start-up."""

    def __init__(self, items: Mapping[type[Any], Any] | None = None) -> None:
        self._items: dict[type[Any], Any] = dict(items or {})

    def add(self, kind: type[T], instance: T) -> None:
        self._items[kind] = instance

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._items[kind])
        except KeyError:
            raise LookupError(f"no service of type {kind.__name__} is configured") from None

    def find(self, kind: type[T]) -> T | None:
        return cast(T | None, self._items.get(kind))


@dataclass
class ActionContext:
    """Everything an action may use. One object, typed; built by the engine per call."""

    user: UserInfo
    chat: ChatInfo
    locale: str
    data: MutableMapping[str, Any]
    settings: Mapping[str, Any]
    services: Services
    notifier: NotifierProtocol
    log: logging.LoggerAdapter[logging.Logger]
    now: Callable[[], datetime]
    event: EventInfo = field(default_factory=EventInfo)


@dataclass(frozen=True)
class ActionSpec:
    """A registered action: its name, function, parameters, outcomes and provided data keys."""

    name: str
    func: ActionFunc
    params: Mapping[str, inspect.Parameter]
    annotations: Mapping[str, Any]
    outcomes: tuple[str, ...]
    provides: tuple[str, ...]
    module: str

    def required_params(self) -> set[str]:
        return {n for n, p in self.params.items() if p.default is inspect.Parameter.empty}

    def accepts_any(self) -> bool:
        return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in self.params.values())


@dataclass(frozen=True)
class _Mark:
    outcomes: tuple[str, ...]
    provides: tuple[str, ...]


def action(
    *, outcomes: tuple[str, ...] = ("ok",), provides: tuple[str, ...] = ()
) -> Callable[[ActionFunc], ActionFunc]:
    """Declare an action's outcomes and the data keys its result provides."""
    if not outcomes:
        raise ValueError("an action needs at least one outcome")

    def decorate(func: ActionFunc) -> ActionFunc:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"action {func.__qualname__} must be 'async def'")
        setattr(func, _MARK, _Mark(tuple(outcomes), tuple(provides)))
        return func

    return decorate


def _spec_for(name: str, func: ActionFunc, mark: _Mark) -> ActionSpec:
    signature = inspect.signature(func)
    params = list(signature.parameters.values())
    if not params or params[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise TypeError(f"action {name} must take the context as its first argument")
    try:
        hints = get_type_hints(func, include_extras=True)  # Annotated bounds kept
    except Exception:  # unresolved forward references: fall back to raw annotations
        hints = {}
    rest = {p.name: p for p in params[1:] if p.kind is not inspect.Parameter.VAR_POSITIONAL}
    annotations = {n: hints.get(n, p.annotation) for n, p in rest.items()}
    return ActionSpec(
        name=name, func=func, params=rest, annotations=annotations,
        outcomes=mark.outcomes, provides=mark.provides, module=func.__module__,
    )


class ActionRegistry:
    """Actions by dotted name, collected from the packages a scenario names."""

    def __init__(self) -> None:
        self._actions: dict[str, ActionSpec] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def get(self, name: str) -> ActionSpec | None:
        return self._actions.get(name)

    def names(self) -> list[str]:
        return sorted(self._actions)

    def register(self, name: str, func: ActionFunc) -> ActionSpec:
        mark = getattr(func, _MARK, None) or _Mark(("ok",), ())
        spec = _spec_for(name, func, mark)
        self._actions[name] = spec
        return spec

    def add_module(self, namespace: str, module: ModuleType, root: str) -> None:
        prefix = module.__name__[len(root):].lstrip(".")
        base = f"{namespace}.{prefix}" if prefix else namespace
        for attr, value in vars(module).items():
            mark = getattr(value, _MARK, None)
            if isinstance(mark, _Mark) and getattr(value, "__module__", None) == module.__name__:
                self.register(f"{base}.{attr}", value)

    def add_package(self, namespace: str, dotted: str) -> None:
        """Import ``dotted`` (and, for a package, every submodule) and register its actions.

        Import errors propagate: the caller reports them as diagnostics.
        """
        module = importlib.import_module(dotted)
        self.add_module(namespace, module, dotted)
        if hasattr(module, "__path__"):
            for info in pkgutil.walk_packages(module.__path__, prefix=dotted + "."):
                self.add_module(namespace, importlib.import_module(info.name), dotted)
