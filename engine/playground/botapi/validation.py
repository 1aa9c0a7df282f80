"""Request validation against the compact schema: names, required parameters and types.

Top-level values may arrive as strings (urlencoded or multipart forms, query strings), so at the top
level a string is converted to the declared type (``"42"`` -> 42, ``"true"`` -> True, JSON text ->
object or array). Inside objects the JSON types must match exactly, as Telegram requires
("Field "callback_data" must be of type String").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import ApiError, bad_request
from .spec import BotApiSchema, FieldSpec, MethodSpec, TypeSpec, array_item
from .uploads import Upload

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
ATTACH_PREFIX = "attach://"
_INT_RE = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"true", "True", "1"})
_FALSE = frozenset({"false", "False", "0"})

# Parameters Telegram still accepts although the current documentation no longer lists them.
# They are folded into their documented replacements after validation.
LEGACY_PARAMS: Mapping[str, tuple[str, str]] = {
    "reply_to_message_id": ("Integer", "reply_parameters"),
    "allow_sending_without_reply": ("Boolean", "reply_parameters"),
    "disable_web_page_preview": ("Boolean", "link_preview_options"),
}


class Invalid(Exception):
    """A value does not match its declared type; ``path`` names the field."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason

    def to_api_error(self) -> ApiError:
        kind = "parameter" if _is_top_level(self.path) else "field"
        return bad_request(f'{kind} "{self.path}" {self.reason}')


class OutOfRange(Invalid):
    """A number of the right type but outside its range: no other type alternative applies."""


def _is_top_level(path: str) -> bool:
    return "." not in path and "[" not in path


def _depth(path: str) -> int:
    return path.count(".") + path.count("[")


class ParamValidator:
    """Validate and normalise the parameters of one method call."""

    def __init__(self, schema: BotApiSchema) -> None:
        self.schema = schema

    def validate(
        self, method_name: str, raw: Mapping[str, Any], files: Mapping[str, Upload]
    ) -> tuple[MethodSpec, dict[str, Any]]:
        """Return the method's spec and the converted parameters, or raise :class:`ApiError`."""
        spec = self.schema.method(method_name)
        if spec is None:
            raise ApiError(404, "Not Found")
        values: dict[str, Any] = {k: v for k, v in raw.items() if v is not None}
        for name, upload in files.items():
            if name in spec.params and name not in values:
                values[name] = upload
        out: dict[str, Any] = {}
        legacy: dict[str, Any] = {}
        try:
            for name, value in values.items():
                param = spec.params.get(name)
                if param is None:
                    old = LEGACY_PARAMS.get(name)
                    if old is None or old[1] not in spec.params:
                        raise Invalid(name, f"is not a known parameter of {spec.name}")
                    legacy[name] = self.coerce(value, (old[0],), name, top=True)
                    continue
                out[name] = self.coerce(value, param.types, name, top=True)
            for param in spec.params.values():
                if param.required and param.name not in out:
                    raise Invalid(param.name, "is required")
        except Invalid as exc:
            raise exc.to_api_error() from exc
        _fold_legacy(out, legacy)
        return spec, out

    def coerce(self, value: Any, types: tuple[str, ...], path: str, *, top: bool) -> Any:
        """Convert ``value`` to the first matching type expression of ``types``."""
        errors: list[Invalid] = []
        for type_expr in types:
            try:
                return self._coerce_one(value, type_expr, path, top)
            except OutOfRange:
                raise
            except Invalid as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        deepest = max(errors, key=lambda e: _depth(e.path))
        if _depth(deepest.path) > _depth(path):
            raise deepest
        raise Invalid(path, "must be " + " or ".join(types))

    def _coerce_one(self, value: Any, type_expr: str, path: str, top: bool) -> Any:
        item = array_item(type_expr)
        if item is not None:
            if top and isinstance(value, str):
                value = _parse_json(value, path)
            if not isinstance(value, list):
                raise Invalid(path, f"must be {type_expr}")
            return [self.coerce(v, (item,), f"{path}[{i}]", top=False) for i, v in enumerate(value)]
        scalar = _SCALARS.get(type_expr)
        if scalar is not None:
            return scalar(value, path, top)
        type_spec = self.schema.type(type_expr)
        if type_spec is None:
            return value
        if top and isinstance(value, str):
            value = _parse_json(value, path)
        if not isinstance(value, Mapping):
            raise Invalid(path, f"must be {type_expr}")
        if type_spec.subtypes:
            return self._coerce_union(value, type_spec, path)
        return self._coerce_object(value, type_spec, path)

    def _coerce_union(self, value: Mapping[str, Any], spec: TypeSpec, path: str) -> Any:
        discriminated: list[tuple[str, FieldSpec]] = []
        for sub in spec.subtypes:
            sub_spec = self.schema.type(sub)
            if sub_spec is None:
                continue
            for field in sub_spec.fields.values():
                if field.const is not None:
                    discriminated.append((sub, field))
                    break
        for sub, field in discriminated:
            if value.get(field.name) == field.const:
                return self._coerce_one(value, sub, path, False)
        if discriminated and len(discriminated) == len(spec.subtypes):
            name = discriminated[0][1].name
            allowed = ", ".join(sorted({str(f.const) for _, f in discriminated}))
            raise Invalid(f"{path}.{name}", f"must be one of: {allowed} (for {spec.name})")
        return self.coerce(value, spec.subtypes, path, top=False)

    def _coerce_object(self, value: Mapping[str, Any], spec: TypeSpec, path: str) -> Any:
        out: dict[str, Any] = {}
        for key, item in value.items():
            field = spec.fields.get(key)
            if field is None:
                # Telegram ignores unknown fields of objects (aiogram-dialog, for one, sends
                # reply_markup inside InputMedia); a keyboard button with a foreign field is
                # a button of the wrong keyboard kind, which is worth refusing.
                if spec.name in _STRICT_OBJECTS:
                    raise Invalid(f"{path}.{key}", f"is not a known field of {spec.name}")
                continue
            if item is None:
                continue
            converted = self.coerce(item, field.types, f"{path}.{key}", top=False)
            if field.const is not None and converted != field.const:
                raise Invalid(f"{path}.{key}", f'must be "{field.const}"')
            out[key] = converted
        for field in spec.fields.values():
            if field.required and field.name not in out:
                raise Invalid(f"{path}.{field.name}", f"is required in {spec.name}")
        return out


_STRICT_OBJECTS = frozenset({"InlineKeyboardButton", "KeyboardButton"})


def _parse_json(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise Invalid(path, "can't be parsed as JSON") from None


def _integer(value: Any, path: str, top: bool) -> int:
    if isinstance(value, str) and top and _INT_RE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(path, "must be Integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise OutOfRange(path, "is out of range for a 64-bit integer")
    return value


def _float(value: Any, path: str, top: bool) -> float:
    if isinstance(value, str) and top:
        try:
            value = float(value)
        except ValueError:
            raise Invalid(path, "must be Float") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(path, "must be Float")
    return float(value)


def _boolean(value: Any, path: str, top: bool) -> bool:
    if isinstance(value, bool):
        return value
    if top and isinstance(value, str | int):
        text = str(value)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise Invalid(path, "must be Boolean")


def _string(value: Any, path: str, top: bool) -> str:
    if isinstance(value, str):
        return value
    if top and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise Invalid(path, "must be String")


def _input_file(value: Any, path: str, top: bool) -> Upload | str:
    """An uploaded part, or an ``attach://<name>`` reference the handler resolves."""
    if isinstance(value, Upload):
        return value
    if (
        isinstance(value, str)
        and value.startswith(ATTACH_PREFIX)
        and len(value) > len(ATTACH_PREFIX)
    ):
        return value
    raise Invalid(path, "must be InputFile")


_SCALARS = {
    "Integer": _integer,
    "Float": _float,
    "Boolean": _boolean,
    "String": _string,
    "InputFile": _input_file,
}


def _fold_legacy(out: dict[str, Any], legacy: Mapping[str, Any]) -> None:
    if "reply_to_message_id" in legacy and "reply_parameters" not in out:
        reply: dict[str, Any] = {"message_id": legacy["reply_to_message_id"]}
        if legacy.get("allow_sending_without_reply"):
            reply["allow_sending_without_reply"] = True
        out["reply_parameters"] = reply
    if legacy.get("disable_web_page_preview") and "link_preview_options" not in out:
        out["link_preview_options"] = {"is_disabled": True}
