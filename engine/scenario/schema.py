"""The scenario format as pydantic models (``extra="forbid"``, strict types).

A scenario file describes one bot::

    scenario: demo                 # id: part of every state name, so keep it stable
    locales: [ru, uz, en]          # the first one is the default
    actions: {demo: actions.demo}  # action namespace -> Python package
    settings: {GREETING: {type: str, default: "friend"}}
    menu: main                     # where the "menu" target and stale buttons lead
    dialogs:
      main:
        windows:
          hello:
            text: hello            # templates/demo/<locale>/hello.html
            keyboard:
              - {type: button, id: go, label: next, go: other}
    handlers:
      - {command: start, go: main}

Shapes that are written in several ways in YAML (a route as a bare string or as a mapping) are
normalised by ``ensure_*`` validators here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.scenario.units import Duration, Size

if TYPE_CHECKING:
    from aiogram.types import Message
    from aiogram_dialog.widgets.kbd import Keyboard

    from engine.scenario.kinds import Building, Linking

YamlPath = tuple[str | int, ...]

__all__ = [
    "ActionCall",
    "DialogSpec",
    "DocumentFilter",
    "HandlerSpec",
    "InputBase",
    "JobSpec",
    "MediaSpec",
    "MessageButton",
    "MessageSpec",
    "Model",
    "Route",
    "Scenario",
    "SettingSpec",
    "SkipSpec",
    "Way",
    "WidgetBase",
    "WidgetData",
    "WindowSpec",
    "YamlPath",
]

ScalarValue = str | int | float | bool | None
ArgValue = ScalarValue | list[Any] | dict[str, Any]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------- routes and actions


class Route(Model):
    """Where an outcome leads.

    ``go`` is a target: a window of the same dialog, ``dialog`` or ``dialog.window``, or one of
    ``stay`` (re-render), ``back`` (the previous window), ``menu`` (the scenario's menu, stack
    reset), ``done`` (this dialog finished its job: close it), ``cancel`` (close it without
    finishing). ``notice`` is a label shown as a toast (button clicks) or a short message
    (inputs, handlers); ``reply`` is a message template sent to the chat. ``then`` (with a ``go``
    that starts another dialog): where this dialog goes on once that one finishes (``done``) —
    a target, or ``again`` to run the same action again with the same input.
    """

    go: str = "stay"
    notice: str | None = None
    reply: str | None = None
    then: str | None = None

    @model_validator(mode="before")
    @classmethod
    def ensure_route(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"go": value}
        return value


class ActionCall(Model):
    """``{call: ns.module.func, args: {...}, on: {outcome: route}}``.

    An argument is a literal, or a string: ``"{{ expr }}"`` alone evaluates ``expr`` to a native
    value; any other string containing ``{{`` renders to a string.
    """

    call: str
    args: dict[str, ArgValue] = Field(default_factory=dict)
    on: dict[str, Route] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def ensure_call(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"call": value}
        return value


# --------------------------------------------------------------------------- settings


SettingType = Literal["str", "int", "decimal", "bool", "time", "timezone", "int_list", "str_list"]


class SettingSpec(Model):
    type: SettingType = "str"
    default: ScalarValue = None
    required: bool = False
    secret: bool = False
    description: str | None = None


# --------------------------------------------------------------------------- node kinds
# Each widget and input kind is a model of its own module in ``engine/kinds/`` (its fields, its
# link checks, its graph edges, its builder, its widget-data keys), based on WidgetBase or
# InputBase here; a KindRegistry (engine.scenario.kinds) lists the kinds a scenario may use
# and builds the Scenario model whose keyboards and inputs accept exactly those.


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


# --------------------------------------------------------------------------- windows and dialogs


class MediaSpec(Model):
    """A photo: ``url`` is a template giving a URL or a Telegram file id; ``data`` names a key of
    the window's data holding image bytes (for example a generated QR code)."""

    type: Literal["photo"] = "photo"
    url: str | None = None
    data: str | None = None
    when: str | None = None

    @model_validator(mode="after")
    def exactly_one_source(self) -> MediaSpec:
        if (self.url is None) == (self.data is None):
            raise ValueError("media needs exactly one of 'url' or 'data'")
        return self


class SkipSpec(Model):
    """``skip: {when: <condition>, go: <target>}``: a route that leads to the window goes on to
    ``go`` instead while ``when`` holds over the dialog data and settings (a checkout step a
    setting switches off; the address, which pickup does not need)."""

    when: str
    go: str


class WindowSpec(Model):
    """A window. ``keyboard`` and ``input`` take the kinds of the registry the scenario is
    validated with (:meth:`engine.scenario.kinds.KindRegistry.scenario_model`). ``skip``: see
    :class:`SkipSpec`."""

    text: str
    media: MediaSpec | None = None
    load: ActionCall | None = None
    keyboard: list[WidgetBase] = Field(default_factory=list)
    markup: Literal["inline", "reply"] | None = None
    input: InputBase | None = None
    placeholder: str | None = None
    skip: SkipSpec | None = None


class DialogSpec(Model):
    start: str | None = None
    windows: dict[str, WindowSpec]

    @field_validator("windows")
    @classmethod
    def not_empty(cls, value: dict[str, WindowSpec]) -> dict[str, WindowSpec]:
        if not value:
            raise ValueError("a dialog needs at least one window")
        return value


# --------------------------------------------------------------------------- side messages and handlers


class MessageButton(Model):
    """A button of a side message: ``callback`` (a handler's callback name) with ``args``
    (argument name -> template; the names the handler declares), or a ``url``."""

    label: str
    callback: str | None = None
    args: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    when: str | None = None

    @model_validator(mode="after")
    def exactly_one_action(self) -> MessageButton:
        if (self.callback is None) == (self.url is None):
            raise ValueError("a message button needs exactly one of 'callback' or 'url'")
        return self


class MessageSpec(Model):
    """A message the bot sends to another chat through the notifier (e.g. a card to managers)."""

    text: str
    buttons: list[list[MessageButton]] = Field(default_factory=list)


class DocumentFilter(Model):
    mime_types: list[str] = Field(default_factory=list)
    extensions: list[str] = Field(default_factory=list)
    max_size: Size = Field(default=20 * 1024 * 1024, ge=1, le=50 * 1024 * 1024)


REFUSAL_REASONS = ("bad_arguments", "bad_value", "no_document", "wrong_type", "too_large")


class HandlerSpec(Model):
    """An event outside dialogs. Exactly one trigger: ``command``, ``text`` (a regex),
    ``callback`` (a side-message button), ``reply_to`` (a reply to a side message) or
    ``fallback`` (a message nothing else took: no handler and no dialog waiting for input).

    ``args`` declares the handler's arguments by name and type (``{ticket_id: int}``; types
    ``int``, ``str``, ``text`` for the rest of a command's line, ``?`` for optional: see
    :mod:`engine.handler_args`): a command's words (or a caption's), or the values a callback's
    buttons send; each becomes a variable of the action's arguments. A command may still give a
    regex instead, whose named groups become variables. ``document`` requires an attached
    document matching the filter.
    ``refuse`` maps a refusal reason (bad_arguments, bad_value, no_document, wrong_type,
    too_large) to the label to answer with (default ``handler.<reason>`` when defined, else
    silence). ``bad_value``: an argument does not decode to the action parameter's type
    (``engine.runtime.arguments``).
    Then ``go`` starts a dialog (stack reset), or ``action`` runs and its outcome is routed.
    """

    command: str | None = None
    text: str | None = None
    callback: str | None = None
    reply_to: str | None = None
    fallback: bool = False
    refuse: dict[str, str] = Field(default_factory=dict)
    args: str | dict[str, str] | None = None
    document: DocumentFilter | None = None
    chat: Literal["private", "group", "any"] = "private"
    go: str | None = None
    reply: str | None = None
    action: ActionCall | None = None

    @model_validator(mode="after")
    def one_trigger(self) -> HandlerSpec:
        triggers = [t for t in (self.command, self.text, self.callback, self.reply_to,
                                self.fallback) if t]
        if len(triggers) != 1:
            raise ValueError("a handler needs exactly one of 'command', 'text', 'callback', "
                             "'reply_to' or 'fallback: true'")
        return self


class JobSpec(Model):
    """A background job: ``action`` runs every ``every`` seconds (outcomes are not routed; the
    action talks to chats through the notifier). With several bot processes sharing Redis, each
    period runs in one process only."""

    every: Duration = Field(ge=10, le=7 * 24 * 3600)
    action: ActionCall


# --------------------------------------------------------------------------- the scenario


class Scenario(Model):
    scenario: str
    title: str | None = None
    locales: list[str] = Field(default_factory=lambda: ["ru", "uz", "en"], min_length=1)
    templates: str | None = None
    actions: dict[str, str] = Field(default_factory=dict)
    settings: dict[str, SettingSpec] = Field(default_factory=dict)
    menu: str | None = None
    routes: dict[str, dict[str, Route]] = Field(default_factory=dict)
    """Named route sets: outcome maps an action call names with ``on: <name>``; ``inputs``,
    ``documents`` and ``refusals`` are named the same way by ``input:``, ``document:`` and
    ``refuse:`` (checked where they are used: :mod:`engine.scenario.route_sets`)."""
    inputs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = Field(default_factory=dict)
    refusals: dict[str, dict[str, str]] = Field(default_factory=dict)
    dialogs: dict[str, DialogSpec]
    handlers: list[HandlerSpec] = Field(default_factory=list)
    messages: dict[str, MessageSpec] = Field(default_factory=dict)
    jobs: dict[str, JobSpec] = Field(default_factory=dict)

    @field_validator("dialogs")
    @classmethod
    def has_dialogs(cls, value: dict[str, DialogSpec]) -> dict[str, DialogSpec]:
        if not value:
            raise ValueError("a scenario needs at least one dialog")
        return value

    @property
    def default_locale(self) -> str:
        return self.locales[0]
