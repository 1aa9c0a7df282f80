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

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from engine.scenario.calls import ActionCall, ArgValue, Model, Route, ScalarValue, YamlPath
from engine.scenario.kinds import HandlerKind, InputBase, Way, WidgetBase, WidgetData
from engine.scenario.units import Duration, Size

__all__ = [
    "ActionCall",
    "ArgValue",
    "DialogSpec",
    "DocumentFilter",
    "HandlerKind",
    "HandlerSpec",
    "InputBase",
    "JobSpec",
    "MediaSpec",
    "MessageButton",
    "MessageSpec",
    "Model",
    "Route",
    "ScalarValue",
    "Scenario",
    "SettingSpec",
    "SkipSpec",
    "Way",
    "WidgetBase",
    "WidgetData",
    "WindowSpec",
    "YamlPath",
]

# --------------------------------------------------------------------------- settings


SettingType = Literal["str", "int", "decimal", "bool", "time", "timezone", "int_list", "str_list"]


class SettingSpec(Model):
    type: SettingType = "str"
    default: ScalarValue = None
    required: bool = False
    secret: bool = False
    description: str | None = None


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
    """An event outside dialogs. Exactly one trigger, a key its handler kind adds
    (:class:`~engine.scenario.kinds.HandlerKind`; built in: ``command``, ``text`` (a regex),
    ``callback`` (a side-message button), ``reply_to`` (a reply to a side message) and
    ``fallback`` (a message nothing else took: no handler and no dialog waiting for input)).
    The registry's ``HandlerSpec`` (``KindRegistry.scenario_model``) has a field per kind.

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

    #: the trigger kinds this model has fields for (set by the registry)
    kinds: ClassVar[tuple[HandlerKind, ...]] = ()

    refuse: dict[str, str] = Field(default_factory=dict)
    args: str | dict[str, str] | None = None
    document: DocumentFilter | None = None
    chat: Literal["private", "group", "any"] = "private"
    go: str | None = None
    reply: str | None = None
    action: ActionCall | None = None

    @model_validator(mode="after")
    def one_trigger(self) -> HandlerSpec:
        if len([k for k in self.kinds if k.value(self)]) != 1:
            names = [k.mention or f"'{k.key}'" for k in self.kinds]
            listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 \
                else "".join(names) or "a trigger"
            raise ValueError(f"a handler needs exactly one of {listed}")
        return self

    @property
    def kind(self) -> HandlerKind:
        """The kind of this handler's trigger."""
        return next(k for k in self.kinds if k.value(self))

    @property
    def callback_name(self) -> str | None:
        """The name its buttons' callback data starts with (a ``callback`` kind), else None."""
        kind = self.kind
        return str(kind.value(self)) if kind.callback else None


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
