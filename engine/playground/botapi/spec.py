"""A compact Bot API schema derived from the scraped spec (``api.json``).

The compact form keeps, for every method, its parameters (accepted type expressions, required flag)
and return types, and for every object type its fields and its union subtypes. Descriptions are
dropped; the only thing taken from prose is the constant value of a discriminator field (for example
``InputMediaPhoto.type`` "must be photo"), which the validator needs to tell union members apart.

Run ``python -m engine.playground.botapi.spec`` to regenerate ``botapi-schema.json`` next to this
module from ``../shared/botapi/api.json``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_FILE_NAME = "botapi-schema.json"
DEFAULT_SCHEMA_PATH = Path(__file__).with_name(SCHEMA_FILE_NAME)
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SOURCE_PATH = REPO_ROOT / ".." / "shared" / "botapi" / "api.json"

SCALAR_TYPES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
ARRAY_PREFIX = "Array of "
_CONST_RE = re.compile(r'(?:must be|always) "?([A-Za-z0-9_]+)"?\s*$')
_DISCRIMINATOR_NAMES = frozenset({"type", "status", "source"})
_INLINE_DEPTH = 4  # root > methods > method > params > one parameter per line


def _compact_field(field: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"types": list(field["types"]), "required": bool(field["required"])}
    if field["name"] in _DISCRIMINATOR_NAMES and field["required"]:
        match = _CONST_RE.search(str(field.get("description", "")))
        if match:
            out["const"] = match.group(1)
    return out


def build_compact_schema(api_json: Mapping[str, Any]) -> dict[str, Any]:
    """Reduce the scraped spec to what validation needs, keeping the spec's order."""
    methods: dict[str, Any] = {}
    for name, method in api_json["methods"].items():
        methods[name] = {
            "params": {f["name"]: _compact_field(f) for f in method.get("fields", [])},
            "returns": list(method.get("returns", [])),
        }
    types: dict[str, Any] = {}
    for name, type_ in api_json["types"].items():
        entry: dict[str, Any] = {
            "fields": {f["name"]: _compact_field(f) for f in type_.get("fields", [])}
        }
        if type_.get("subtypes"):
            entry["subtypes"] = list(type_["subtypes"])
        types[name] = entry
    return {
        "version": api_json.get("version", ""),
        "release_date": api_json.get("release_date", ""),
        "methods": methods,
        "types": types,
    }


def _dump(value: Any, depth: int) -> str:
    if not isinstance(value, Mapping) or depth >= _INLINE_DEPTH or not value:
        return json.dumps(value, ensure_ascii=False)
    pad = " " * (depth + 1)
    items = [f"{pad}{json.dumps(key)}: {_dump(item, depth + 1)}" for key, item in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"


def dump_compact_schema(schema: Mapping[str, Any]) -> str:
    """Serialise deterministically, one parameter or field per line.

    The committed file is compared byte for byte with a fresh build in the tests.
    """
    return _dump(schema, 0) + "\n"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One method parameter or object field."""

    name: str
    types: tuple[str, ...]
    required: bool
    const: str | None = None


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One Bot API method."""

    name: str
    params: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """One Bot API object type; a union type has ``subtypes`` and usually no fields."""

    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...] = ()


def _fields(raw: Mapping[str, Any]) -> dict[str, FieldSpec]:
    return {
        name: FieldSpec(
            name=name,
            types=tuple(value["types"]),
            required=bool(value["required"]),
            const=value.get("const"),
        )
        for name, value in raw.items()
    }


class BotApiSchema:
    """Typed read access to the compact schema."""

    def __init__(self, compact: Mapping[str, Any]) -> None:
        self.version: str = str(compact.get("version", ""))
        self.release_date: str = str(compact.get("release_date", ""))
        self.methods: dict[str, MethodSpec] = {
            name: MethodSpec(name, _fields(m["params"]), tuple(m["returns"]))
            for name, m in compact["methods"].items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(name, _fields(t["fields"]), tuple(t.get("subtypes", ())))
            for name, t in compact["types"].items()
        }
        self._methods_lower = {name.lower(): spec for name, spec in self.methods.items()}

    def method(self, name: str) -> MethodSpec | None:
        """Look a method up the way Telegram does: method names are case-insensitive."""
        return self._methods_lower.get(name.lower())

    def type(self, name: str) -> TypeSpec | None:
        """Look an object type up by its exact name."""
        return self.types.get(name)


def array_item(type_expr: str) -> str | None:
    """``"Array of X"`` -> ``"X"``; anything else -> ``None``."""
    if type_expr.startswith(ARRAY_PREFIX):
        return type_expr[len(ARRAY_PREFIX) :]
    return None


def load_schema(path: Path | None = None) -> BotApiSchema:
    """Read the committed compact schema (or another compact file)."""
    source = DEFAULT_SCHEMA_PATH if path is None else path
    return BotApiSchema(json.loads(source.read_text(encoding="utf-8")))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: rebuild the compact schema from ``api.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE_PATH, help="api.json path")
    parser.add_argument("--out", type=Path, default=DEFAULT_SCHEMA_PATH, help="output path")
    args = parser.parse_args(argv)
    api_json = json.loads(Path(args.source).read_text(encoding="utf-8"))
    compact = build_compact_schema(api_json)
    Path(args.out).write_text(dump_compact_schema(compact), encoding="utf-8")
    print(f"wrote {args.out}: {len(compact['methods'])} methods, {len(compact['types'])} types")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
