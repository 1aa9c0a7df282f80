"""Routes and action calls: the parts of the scenario format every stage and every kind
shares (a button's action, an input's, a handler's, a job's), with the base of every model.

``extra="forbid"``: an unknown key is an error (with a did-you-mean); ``strict``: a quoted
number is not a number; ``frozen``: a validated scenario is a value.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ActionCall", "ArgValue", "Model", "Route", "ScalarValue", "YamlPath"]

#: where a value stands in the YAML data: keys and list indexes from the root
YamlPath = tuple[str | int, ...]

ScalarValue = str | int | float | bool | None
ArgValue = ScalarValue | list[Any] | dict[str, Any]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Route(Model):
    """Where an outcome leads.

    ``go`` is a target: a window of the same dialog, ``dialog`` or ``dialog.window``, or one of
    ``stay`` (re-render), ``back`` (the previous window), ``menu`` (the scenario's menu, stack
    reset), ``done`` (this dialog finished its job: close it), ``cancel`` (close it without
    finishing). ``notice`` is a label shown as a toast (button clicks) or a short message
    (inputs, handlers); ``reply`` is a message template sent to the chat. ``then`` (with a ``go``
    that starts another dialog): where this dialog goes on once that one finishes (``done``) —
    a target, or ``again`` to run the same action again with the same input. ``text`` (with a
    ``go`` to a window, or ``stay``): the window shows this template instead of its own ``text``
    until it is left, and its ``view`` variable names it (``when: "view == 'invalid'"``): one
    window whose text varies by outcome, instead of windows that differ only in their text.
    """

    go: str = "stay"
    notice: str | None = None
    reply: str | None = None
    then: str | None = None
    text: str | None = None

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
