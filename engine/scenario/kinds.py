"""Node kinds: the bases a widget or input kind builds on, and what its hooks may use.

A kind is a model of its own module (the built-in ones: ``engine/kinds/``) based on
:class:`WidgetBase` or :class:`InputBase`: its fields, its link checks (``link``), its graph
edges (``ways``), its builder (``build``) and its widget-data keys (``widget_data``). A
:class:`~engine.scenario.registry.KindRegistry` lists the kinds a scenario may use; from the
validated scenario on, the linker, the graph and the compiler ask each widget itself.

The protocols :class:`Linking` and :class:`Building` are what a kind's ``link`` and ``build``
hooks may use of the linker and of the compiler (this stage names none of their types).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from engine.scenario.calls import ActionCall, Model, Route, YamlPath

if TYPE_CHECKING:
    from aiogram.types import Message
    from aiogram_dialog.widgets.kbd import Keyboard

    from engine.scenario.schema import Scenario

__all__ = ["Building", "HandlerKind", "InputBase", "Linking", "Way", "WidgetBase",
           "WidgetData"]

#: a compiled expression: the window's data -> a value
Evaluator = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class WidgetData:
    """A key a widget keeps in aiogram-dialog's widget data: reset when its window is entered
    forward; with a ``scope`` (``pages``, ``counters``) its value is a render variable
    ``<scope>.<ident>`` (``default`` until set)."""

    key: str
    scope: str | None = None
    ident: str = ""
    default: Any = None


@dataclass(frozen=True)
class Way:
    """A way a widget leads on: ``go`` (a target name) and/or ``call`` (whose outcomes route)."""

    label: str
    go: str | None = None
    call: ActionCall | None = None


class WidgetBase(Model):
    """A keyboard widget. A kind subclasses it with ``type: Literal["<tag>"]`` and overrides
    the hooks it needs; the defaults describe a widget that leads nowhere and keeps no data."""

    id: str | None = None
    when: str | None = None

    #: a click leads on (a window waiting for input is not a dead end with one of these)
    way_out: ClassVar[bool] = False
    #: works only in a reply keyboard (``markup: inline`` is refused)
    reply_only: ClassVar[bool] = False

    def children(self) -> Sequence[WidgetBase]:
        """The widgets inside this one (containers)."""
        return ()

    def action_sites(self) -> Iterator[tuple[str, ActionCall, str, frozenset[str]]]:
        """(key, call, role, variables) of each action call this widget makes: the variables
        its arguments get besides the window's (a ``select``: ``item_id``)."""
        return iter(())

    def ways(self) -> Iterator[Way]:
        """Where a click leads: the flow graph and reachability follow these."""
        return iter(())

    def saved_keys(self) -> Iterator[str]:
        """Dialog-data keys a click saves (``save_as``)."""
        return iter(())

    def widget_data(self) -> Iterator[WidgetData]:
        """Keys this widget keeps in aiogram-dialog's widget data."""
        return iter(())

    def link(self, lk: Linking, path: YamlPath, dialog: str, scope: set[str]) -> None:
        """Check the widget's own references (ids, ``when``: by the linker, for every kind)."""

    def build(self, bc: Building, dialog: str) -> Keyboard:
        """The aiogram-dialog widget of this kind."""
        raise NotImplementedError(f"widget kind '{type(self).__name__}' cannot be built")


class InputBase(Model):
    """What a window accepts as a message. The accepted value is saved under ``save_as`` and
    available to ``action`` arguments as ``value``; then ``action`` runs or ``go`` is followed.
    ``invalid`` names the label shown when the input is refused (it receives ``reason``).
    A kind subclasses it with ``type: Literal["<tag>"]``, ``content_types`` and ``accept``."""

    save_as: str | None = None
    go: str | None = None
    action: ActionCall | None = None
    invalid: str = "input.invalid"

    def content_types(self) -> Sequence[str]:
        """The aiogram content types this input takes (others get ``invalid``: wrong_kind)."""
        return ()

    def accept(self, message: Message) -> Any:
        """The accepted value (JSON-friendly), or an ``engine.widgets.inputs.Refusal``."""
        raise NotImplementedError(f"input kind '{type(self).__name__}' accepts nothing")

    def link(self, lk: Linking, path: YamlPath) -> None:
        """Check the input's own settings (``go``/``action``/``invalid``: by the linker)."""


@dataclass(frozen=True)
class HandlerKind:
    """A trigger of a ``handlers:`` entry (``command``, ``callback``...): the key it is written
    with and that key's type (a field the registry adds to ``HandlerSpec``), its link checks
    (``link``), its graph label (``label``) and its aiogram filters (``filters``, with ``event``
    and ``late``). A handler has exactly one trigger; the built-in kinds: ``engine/kinds/handlers/``.
    An instance holds no state (registries compare kinds by class)."""

    #: the trigger's key in a handler (``command: start``)
    key: ClassVar[str]
    #: its type and default in the schema (present: ``bool(value)``)
    annotation: ClassVar[Any] = str | None
    default: ClassVar[Any] = None
    #: how "a handler needs exactly one of ..." names it
    mention: ClassVar[str] = ""
    #: the handler's arguments come from the message's words (a command): a regex ``args``,
    #: ``text`` for the rest of the line, and the ``args`` variable are allowed
    words: ClassVar[bool] = False
    #: the handler takes side-message buttons' callback data (named ``args`` from the data)
    callback: ClassVar[bool] = False
    #: what aiogram hands over: a message, or a callback query (a button)
    event: ClassVar[Literal["message", "callback_query"]] = "message"
    #: registered after the dialogs (a message nothing else took)
    late: ClassVar[bool] = False

    def value(self, handler: Any) -> Any:
        """This trigger's value in ``handler`` (None when the handler has another one)."""
        return getattr(handler, self.key, None)

    def link(self, lk: HandlerLinking, handler: Any, path: YamlPath) -> None:
        """Check the trigger (``path``: the handler's; the common keys are the linker's)."""

    def command_name(self, handler: Any) -> str | None:
        """The bot command this trigger answers (the command menu; the /start every bot
        answers), if it is one."""
        return None

    def variables(self, handler: Any) -> set[str]:
        """Variables the trigger gives the action's arguments (a regex's named groups)."""
        return set()

    def groups(self, handler: Any, message: Message) -> dict[str, Any]:
        """Those variables' values for a message (not for ``words`` kinds)."""
        return {}

    def label(self, handler: Any) -> str:
        """What the flow graph names the handler by (``/start``, ``reply:card``)."""
        return str(self.value(handler))

    def filters(self, handler: Any) -> list[Any]:
        """The aiogram filters that pick this handler's events (besides the chat type)."""
        raise NotImplementedError(f"handler kind '{self.key}' cannot be built")


class HandlerLinking(Protocol):
    """What the linker offers a handler kind's ``link`` hook."""

    @property
    def sc(self) -> Scenario: ...

    @property
    def broken(self) -> frozenset[YamlPath]: ...

    def err(self, path: YamlPath, code: str, message: str, hint: str | None = None,
            *, key: bool = False) -> None: ...

    def warn(self, path: YamlPath, code: str, message: str, hint: str | None = None) -> None: ...


class Linking(Protocol):
    """What the linker offers a kind's ``link`` hook (:class:`engine.scenario.linker._Linker`)."""

    def err(self, path: YamlPath, code: str, message: str, hint: str | None = None,
            *, key: bool = False) -> None: ...

    def need_id(self, ident: str | None, path: YamlPath, what: str) -> None: ...

    def need_label(self, key: str, path: YamlPath) -> None: ...

    def need_pager_labels(self, path: YamlPath) -> None: ...

    def check_label(self, key: str, scope: set[str], path: YamlPath) -> None: ...

    def check_target(self, target: str, dialog: str | None, path: YamlPath) -> None: ...

    def check_expr(self, source: str, available: set[str], path: YamlPath,
                   what: str) -> None: ...

    def check_expr_or_template(self, value: str, available: set[str], path: YamlPath,
                               what: str) -> None: ...


class Building(Protocol):
    """What the compiler offers a kind's ``build`` hook
    (:class:`engine.compile.dialogs.DialogCompiler`; this stage names none of its types)."""

    def route(self, route: Route, dialog: str | None, where: str = "") -> Any:
        """The compiled route (``engine.compile.values.CompiledRoute``)."""

    def call(self, call: ActionCall, dialog: str | None) -> Any:
        """The compiled call (``engine.compile.values.CompiledCall``)."""

    def when(self, source: str | None) -> Any: ...

    def expression(self, source: str) -> Evaluator: ...

    def value(self, source: str) -> Evaluator: ...

    def widget(self, widget: WidgetBase, dialog: str) -> Keyboard: ...
