"""The schema stage: plain YAML data -> :class:`Scenario`, with pydantic errors mapped to positioned
diagnostics ("did you mean" included)."""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from engine.diagnostics import Diagnostic, Severity, did_you_mean
from engine.scenario import schema
from engine.scenario.loader import LoadedYaml
from engine.scenario.registry import KindRegistry, tag_of

__all__ = ["data_path", "kind_of", "validate_model", "validate_scenario"]

_KINDS: dict[type[BaseModel], str] = {
    schema.Scenario: "scenario",
    schema.DialogSpec: "dialog",
    schema.WindowSpec: "window",
    schema.MediaSpec: "media",
    schema.ActionCall: "action call",
    schema.Route: "route",
    schema.SettingSpec: "setting",
    schema.MessageSpec: "message",
    schema.MessageButton: "message button",
    schema.HandlerSpec: "handler",
    schema.DocumentFilter: "document filter",
}

_YAML_TYPE_NAMES = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "nothing (null)",
    list: "a list",
    dict: "a mapping",
}

_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def kind_of(model: type[BaseModel]) -> str:
    """How messages name a model: "window", "'button' widget", "'text' input"..."""
    tag = tag_of(model)
    if tag is not None and issubclass(model, schema.WidgetBase):
        return f"'{tag}' widget"
    if tag is not None and issubclass(model, schema.InputBase):
        return f"'{tag}' input"
    known = next((_KINDS[m] for m in model.__mro__ if m in _KINDS), None)
    return known or str(model.model_config.get("title") or model.__name__)


M = typing.TypeVar("M", bound=BaseModel)


def validate_model(loaded: LoadedYaml, root: type[M]) -> tuple[M | None, list[Diagnostic]]:
    """Validate loaded data against any schema model (a deployment file's, say) with the same
    positioned diagnostics as scenarios; the caller checks that the data is a mapping."""
    try:
        return root.model_validate(loaded.data), []
    except ValidationError as exc:
        return None, [_to_diagnostic(loaded, err, root) for err in exc.errors(include_url=False)]


def validate_scenario(loaded: LoadedYaml, kinds: KindRegistry,
                      ) -> tuple[schema.Scenario | None, list[Diagnostic]]:
    """Validate the loaded data against the schema of the registered ``kinds``; all problems
    at once, positioned."""
    if not isinstance(loaded.data, dict):
        pos = loaded.positions.lookup(())
        return None, [
            Diagnostic(
                loaded.file, pos.line, pos.col, "schema",
                "a scenario file must be a mapping with 'scenario' and 'dialogs'",
            )
        ]
    model = kinds.scenario_model
    try:
        return model.model_validate(loaded.data), []
    except ValidationError as exc:
        return None, [_to_diagnostic(loaded, err, model, kinds)
                      for err in exc.errors(include_url=False)]


# --------------------------------------------------------------------------- loc walking


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives of an annotation (Optional/Union/Annotated peeled)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    return [a for a in _unwrap(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    if field is None:
        return None
    args = get_args(field.annotation)
    return str(args[0]) if args else None


def _walk(loc: tuple[int | str, ...], root: type[BaseModel] = schema.Scenario,
          ) -> tuple[tuple[int | str, ...], type[BaseModel] | None, str | None]:
    """Strip pydantic's union tags from ``loc``; return the data path, the model that owns the
    last element, and the field name if the last element is one of that model's fields."""
    path: list[int | str] = []
    current: list[Any] = [root]
    owner: type[BaseModel] | None = None
    last_field: str | None = None
    for element in loc:
        models = [m for a in current for m in _models_in(a)]
        containers = [a for a in (x for c in current for x in _unwrap(c)) if get_origin(a) in (dict, list)]
        tagged = {t: m for m in models if (t := _tag_of(m))}
        if isinstance(element, str) and len(tagged) > 1 and element in tagged and not path_is_key(containers):
            current = [tagged[element]]
            continue
        if models and isinstance(element, str):
            model = next((m for m in models if element in m.model_fields), models[0])
            owner, last_field = model, element
            path.append(element)
            field = model.model_fields.get(element)
            current = [field.annotation] if field else []
            continue
        owner, last_field = None, None
        path.append(element)
        next_current: list[Any] = []
        for container in containers:
            args = get_args(container)
            if get_origin(container) is dict and isinstance(element, str):
                next_current.append(args[1])
            elif get_origin(container) is list and isinstance(element, int):
                next_current.append(args[0])
        current = next_current
    return tuple(path), owner, last_field


def data_path(loc: tuple[int | str, ...],
              root: type[BaseModel] = schema.Scenario) -> tuple[int | str, ...]:
    """The path in the YAML data of a pydantic error location (union tags stripped)."""
    return _walk(loc, root)[0]


def path_is_key(containers: list[Any]) -> bool:
    return any(get_origin(c) is dict for c in containers)


def _parent_model(loc: tuple[int | str, ...], root: type[BaseModel] = schema.Scenario,
                  ) -> type[BaseModel] | None:
    """The model that the mapping at ``loc`` (a data path with tags) is validated as."""
    _, owner, _ = _walk((*loc, "__probe__"), root)
    return owner


# --------------------------------------------------------------------------- messages


def _describe(value: Any) -> str:
    text = _YAML_TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "...'"
        return f"{text} {shown}"
    return text


def _to_diagnostic(loaded: LoadedYaml, err: ErrorDetails,
                   root: type[BaseModel] = schema.Scenario,
                   kinds: KindRegistry | None = None) -> Diagnostic:
    loc = tuple(err["loc"])
    data_path, owner, field = _walk(loc, root)
    kind = err["type"]
    ctx = err.get("ctx") or {}
    hint: str | None = None
    pos = loaded.positions.node(data_path) or loaded.positions.lookup(data_path)
    code = "schema"

    if kind == "extra_forbidden":
        code = "unknown-key"
        key = str(loc[-1])
        parent = _parent_model(loc[:-1], root)
        valid = sorted(parent.model_fields) if parent else []
        where = f" for a {kind_of(parent)}" if parent else ""
        message = f"'{key}' is not a valid key{where}{did_you_mean(key, valid)}"
        if parent and not did_you_mean(key, valid):
            hint = "valid keys: " + ", ".join(valid)
        key_pos = loaded.positions.key(data_path)
        pos = key_pos or pos
    elif kind == "missing":
        code = "missing-key"
        parent = _parent_model(loc[:-1], root)
        where = f" in this {kind_of(parent)}" if parent else ""
        message = f"missing required key '{loc[-1]}'{where}"
        pos = loaded.positions.lookup(data_path[:-1])
    elif kind == "union_tag_invalid":
        code = "unknown-type"
        tag = str(ctx.get("tag", ""))
        expected = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        message = f"unknown type '{tag}'{did_you_mean(tag, expected)}"
        hint = "valid types: " + ", ".join(expected)
        pos = loaded.positions.node((*data_path, "type")) or pos
    elif kind == "union_tag_not_found":
        code = "missing-key"
        message = "missing required key 'type'"
        family: tuple[str, ...] = ()
        if kinds is not None:
            family = kinds.input_tags if data_path[-1:] == ("input",) else kinds.widget_tags
        expected = sorted(family)
        hint = "valid types: " + ", ".join(expected)
    elif kind == "literal_error":
        code = "invalid-value"
        expected_text = str(ctx.get("expected", ""))
        options = [o.strip().strip("'") for o in expected_text.replace(" or ", ",").split(",")]
        options = [o for o in options if o]
        value = err.get("input")
        message = f"{_describe(value)} is not allowed here; expected one of: {', '.join(options)}"
        if isinstance(value, str):
            message += did_you_mean(value, options)
    elif kind in _EXPECTED:
        code = "wrong-type"
        value = err.get("input")
        message = f"expected {_EXPECTED[kind]}, got {_describe(value)}"
        if kind == "bool_type" and isinstance(value, str) and value.lower() in {
            "yes", "no", "on", "off", "y", "n",
        }:
            hint = "write true or false; yes/no/on/off are plain strings in this format"
        elif kind == "int_type" and isinstance(value, str) and value.strip().isdigit():
            raw = loaded.lines[pos.line - 1][pos.col - 1:] if pos.line <= len(loaded.lines) else ""
            if raw[:1] in ("'", '"') or not value.startswith("0"):
                hint = "a quoted number is a string; remove the quotes"
            else:
                hint = "numbers with a leading zero are read as strings; remove the zero"
    elif kind in ("value_error", "assertion_error"):
        code = "invalid-value"
        message = str(ctx.get("error", err["msg"]))
    else:
        code = "invalid-value"
        message = err["msg"][0].lower() + err["msg"][1:]
    if field and owner and kind not in ("extra_forbidden", "missing"):
        message = f"'{field}': {message}"
    return Diagnostic(loaded.file, pos.line, pos.col, code, message, Severity.ERROR, hint)
