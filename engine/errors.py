"""The engine's one exception hierarchy.

    EngineError
    ├── ScenarioError        a scenario (YAML, templates, action wiring) is wrong; carries diagnostics
    ├── ConfigError          the environment or a setting is missing or malformed at start-up
    ├── StartupError         the bot cannot start: a service it needs refused or did not answer
    ├── TemplateError        a template failed to render at run time (a bug the linter could not see)
    └── FlowError            something went wrong while a user was clicking through a scenario
        ├── ActionError      an action failed; its ``user_message`` label (if any) is shown to the user
        │   └── ServiceUnavailable   a backing service (HTTP API, Redis, database) did not answer
        │       └── StorageUnavailable   Redis, where dialog state lives, does not answer
        └── ArgumentError    a handler's argument (callback data, a command's text) does not
                             decode to its parameter's type: forged or mistyped input

User mistakes in scenarios are never reported as tracebacks: loading, schema validation and
linking collect :class:`~engine.diagnostics.Diagnostic` values and raise one ``ScenarioError``
carrying all of them. Every error may carry a ``hint`` (what to do about it): the command line
ends a failed start with one line, the message followed by the hint (:mod:`engine.cli`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.diagnostics import Diagnostic

__all__ = [
    "ActionError",
    "ArgumentError",
    "ConfigError",
    "EngineError",
    "FlowError",
    "ScenarioError",
    "ServiceUnavailable",
    "StartupError",
    "StorageUnavailable",
    "TemplateError",
    "TooFast",
]


class EngineError(Exception):
    """The root of every error the engine raises on purpose.

    ``hint`` says what to do about it (``"check BOT_TOKEN"``); empty when the message says it.
    """

    hint: str = ""


class ScenarioError(EngineError):
    """One or more problems in scenario files; ``diagnostics`` holds all of them, sorted."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        lines = [d.format() for d in self.diagnostics]
        super().__init__("\n".join(lines) if lines else "scenario error")


class ConfigError(EngineError):
    """A required environment variable or setting is missing or cannot be parsed."""


class StartupError(EngineError):
    """The bot cannot start: Telegram, or a service an action package needs, refused or did not
    answer (within the start-up retry time, for failures worth trying again)."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class TemplateError(EngineError):
    """A template failed at render time."""


class FlowError(EngineError):
    """Raised while processing a user's update."""


class ActionError(FlowError):
    """An action could not do its job.

    ``user_message`` names a label (in the scenario's label files) shown to the user; when it is
    ``None`` the scenario's generic error label is used.
    """

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message


class ServiceUnavailable(ActionError):
    """A backing service did not answer in time or refused the request.

    ``service`` names it for operators (``"REGOS"``); ``transient`` is true when trying again
    later may succeed (no answer, overloaded) and false for a refusal (no access, bad request):
    start-up retries transient failures only.
    """

    service: str = ""
    transient: bool = True


class StorageUnavailable(ServiceUnavailable):
    """Redis, which holds the dialog state (and the update lock), does not answer: the update
    cannot be handled now; the user is asked to try again in a minute (``engine.unavailable``)
    and nothing stored is touched (:mod:`engine.runtime.storage`, :mod:`engine.runtime.errors`).
    """

    service = "Redis"

    def __init__(self, message: str) -> None:
        super().__init__(message, user_message="engine.unavailable")


class TooFast(ActionError):
    """One user sent more updates than the bot takes from one person (a flood, a stuck client):
    the update is dropped unhandled and the user told to slow down (``engine.too_fast``)
    (:mod:`engine.runtime.throttle`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, user_message="engine.too_fast")


class ArgumentError(FlowError):
    """A handler's argument is not a value of its parameter's type (see
    :mod:`engine.runtime.arguments`, :mod:`engine.handler_args`); the handler refuses it with
    ``reason`` (``bad_value``, or ``bad_arguments`` when the text does not fit the handler's
    declared arguments at all), nothing runs."""

    def __init__(self, message: str, *, reason: str = "bad_value") -> None:
        super().__init__(message)
        self.reason = reason
