"""Stage 1 of the pipeline: YAML text -> plain data + source positions, with YAML hygiene.

Only PyYAML's *parser* is used (libyaml, then the pure-Python one to word errors); nodes are
composed and values built here, iteratively, so no tag runs code and no depth hits the recursion
limit. Only the standard tags are read (else ``yaml-tag``). Plain scalars follow a strict schema:
``true``/``false`` are the only booleans, ``null``/``~``/empty are null, ``-12`` is an int and
``1.5e-3`` a float; anything else (``on``, ``yes``, ``0123``, ``0x1F``, ``10:30``, ``2024-01-02``,
``1_000``, ``.inf``) stays a string. Keys must be strings (``key-type``) and unique
(``duplicate-key``). Anchors, aliases and ``<<`` merges work; aliased values carry the positions of
the anchored text. One document per file (``yaml-multi-doc``); a syntax error is one
``yaml-syntax`` with a hint for the usual mistakes. Limits, each refused with one diagnostic where
it is crossed: :data:`MAX_BYTES` of UTF-8 (``yaml-too-large``), nesting :data:`MAX_DEPTH` deep,
aliases included (``yaml-too-deep``), and 500,000 values after alias expansion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import yaml

from engine.diagnostics import Diagnostic, Diagnostics
from engine.scenario.positions import (
    MAX_DEPTH,
    ComposeError,
    MapNode,
    Node,
    Pos,
    Positions,
    ScalarNode,
    SeqNode,
    YamlPath,
    compose,
)
from engine.scenario.yaml_syntax import LINE_BREAK, TEMPLATE_HINT, syntax_diagnostic

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "LoadedYaml",
    "Pos",
    "Positions",
    "YamlPath",
    "load_yaml",
    "load_yaml_file",
    "source_excerpt",
]

_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = _T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"
_MAP, _SEQ, _MERGE = _T + "map", _T + "seq", _T + "merge"
_KIND = {_INT: "an integer", _FLOAT: "a number", _BOOL: "a boolean", _NULL: "null"}

_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_MAX_VALUES = 500_000  # aliases can expand exponentially ("billion laughs")
MAX_BYTES = 2 * 1024 * 1024
"""The largest scenario or labels file read (UTF-8 bytes); real ones are a few dozen KB."""

_TAG_HINT = "only the standard tags !!str !!int !!float !!bool !!null !!map !!seq are allowed"


@dataclass(frozen=True)
class LoadedYaml:
    """One parsed file: plain ``data``, where each part of it was written, and the source lines."""

    file: str
    data: object
    positions: Positions
    lines: list[str]


def load_yaml(text: str, file: str) -> tuple[LoadedYaml | None, list[Diagnostic]]:
    """Parse ``text`` (named ``file`` in diagnostics).

    Returns ``None`` when the text is not one readable YAML document (syntax error, several
    documents, runaway aliases); otherwise the loaded document plus any problems found in it.
    """
    text = text.removeprefix("\ufeff")
    if len(text) * 4 > MAX_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None, [_too_large(text.encode("utf-8", "surrogatepass"), file)]
    lines = LINE_BREAK.split(text)
    try:
        root = compose(text, file)
    except yaml.YAMLError as error:
        return None, [syntax_diagnostic(error, file, text, lines)]
    except ComposeError as exc:
        return None, [exc.diagnostic()]
    diagnostics = Diagnostics()
    builder = _Builder(file, lines, diagnostics)
    try:
        data = builder.build(root)
    except ComposeError as exc:
        diagnostics.add(exc.diagnostic())
        return None, diagnostics.sorted()
    return LoadedYaml(file, data, builder.positions(), lines), diagnostics.sorted()


def load_yaml_file(
    path: Path, display_name: str | None = None
) -> tuple[LoadedYaml | None, list[Diagnostic]]:
    """Read ``path`` as UTF-8 (a BOM is fine) and load it; read problems are ``file-read``."""
    name = str(path) if display_name is None else display_name
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        message = f"cannot read file: {exc.strerror or exc}"
        return None, [Diagnostic(name, 1, 1, "file-read", message)]
    if len(raw) > MAX_BYTES:
        return None, [_too_large(raw, name)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"file is not valid UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line})"
        return None, [Diagnostic(name, 1, 1, "file-read", message)]
    return load_yaml(text, name)


def _too_large(raw: bytes, file: str) -> Diagnostic:
    """``yaml-too-large`` at the first byte past :data:`MAX_BYTES`."""
    before = raw[:MAX_BYTES].decode("utf-8", "ignore")
    line = len(LINE_BREAK.findall(before)) + 1
    col = len(LINE_BREAK.split(before)[-1]) + 1
    message = f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; the rest is not read"
    return Diagnostic(file, line, col, "yaml-too-large", message)


def source_excerpt(loaded: LoadedYaml, pos: Pos) -> str:
    """The line at ``pos`` with a caret under its column ('' when the line does not exist)."""
    if not 1 <= pos.line <= len(loaded.lines):
        return ""
    line = loaded.lines[pos.line - 1]
    pad = "".join("\t" if ch == "\t" else " " for ch in line[: pos.col - 1])
    pad += " " * max(0, pos.col - 1 - len(line))
    return f"{line}\n{pad}^"


# --- constructing plain data -----------------------------------------------------------------


def _resolve(plain: str) -> str:
    """The tag of an untagged plain scalar under the strict schema described above."""
    if plain in _NULLS:
        return _NULL
    if plain in _BOOLS:
        return _BOOL
    if plain == "<<":
        return _MERGE
    if plain[0] not in "+-0123456789":  # the common case: plain text
        return _STR
    if _INT_RE.fullmatch(plain):
        return _INT
    if _FLOAT_RE.fullmatch(plain):
        return _FLOAT
    return _STR


def _tag(node: Node) -> str:
    """The node's tag: as written, resolved (untagged plain scalars) or the collection default."""
    if isinstance(node, ScalarNode):
        return node.tag or _resolve(node.value)
    return node.tag or (_SEQ if isinstance(node, SeqNode) else _MAP)


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_T) if tag.startswith(_T) else tag


_Container = dict[str, object] | list[object]


class _Builder:
    """Turns composed nodes into plain data, recording positions; iterative, never recursive."""

    def __init__(self, file: str, lines: list[str], diagnostics: Diagnostics) -> None:
        self._file = file
        self._lines = lines
        self._diagnostics = diagnostics
        self._nodes: dict[YamlPath, Pos] = {}
        self._keys: dict[YamlPath, Pos] = {}
        self._mapping_keys: dict[YamlPath, list[str]] = {}
        self._todo: list[tuple[Node, YamlPath, _Container]] = []
        self._count = 0

    def positions(self) -> Positions:
        return Positions(self._file, self._nodes, self._keys, self._mapping_keys)

    def build(self, root: Node | None) -> object:
        if root is None:
            return None
        data = self._make(root, ())
        while self._todo:
            node, path, container = self._todo.pop()
            value = self._make(node, path)
            if isinstance(container, dict):
                container[cast(str, path[-1])] = value
            else:
                container[cast(int, path[-1])] = value
        return data

    def _error(self, pos: Pos, code: str, message: str, hint: str | None = None) -> None:
        self._diagnostics.error(pos.file, pos.line, pos.col, code, message, hint)

    def _make(self, node: Node, path: YamlPath) -> object:
        self._count += 1
        if self._count > _MAX_VALUES:
            message = f"the document expands to more than {_MAX_VALUES} values (through aliases?)"
            raise ComposeError(node.pos, "yaml-too-large", message)
        if len(path) >= MAX_DEPTH and not isinstance(node, ScalarNode):
            message = f"nesting is deeper than the limit: more than {MAX_DEPTH} levels (through aliases)"
            raise ComposeError(node.pos, "yaml-too-deep", message)
        self._nodes[path] = node.pos
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        tag = _tag(node)
        if tag != (_SEQ if isinstance(node, SeqNode) else _MAP):
            self._error(node.pos, "yaml-tag", f"unsupported tag '{_short(tag)}'", _TAG_HINT)
            return None
        if isinstance(node, SeqNode):
            items: list[object] = [None] * len(node.items)
            for index in range(len(node.items) - 1, -1, -1):
                self._todo.append((node.items[index], (*path, index), items))
            return items
        if node.flow and self._written_at(node.pos).startswith("{{"):
            message = "a value starting with '{{' is read as a YAML mapping, not as a template"
            self._error(node.pos, "yaml-syntax", message, TEMPLATE_HINT)
            return None
        entries = self._entries(node)
        mapping: dict[str, object] = dict.fromkeys(name for name, _, _ in entries)
        self._mapping_keys[path] = list(mapping)
        for name, key_pos, _ in entries:
            self._keys[(*path, name)] = key_pos
        for name, _, value in reversed(entries):
            self._todo.append((value, (*path, name), mapping))
        return mapping

    def _written_at(self, pos: Pos) -> str:
        return self._lines[pos.line - 1][pos.col - 1 :] if pos.line <= len(self._lines) else ""

    def _scalar(self, node: ScalarNode) -> object:
        tag, text = _tag(node), node.value
        if tag in (_STR, _MERGE):
            return text
        if tag == _NULL and text in _NULLS:
            return None
        if tag == _BOOL and text in _BOOLS:
            return _BOOLS[text]
        try:
            if tag == _INT and _INT_RE.fullmatch(text):
                return int(text)
            if tag == _FLOAT and _FLOAT_RE.fullmatch(text):
                return float(text)
        except ValueError:  # more digits than Python converts
            pass
        if tag in _KIND:
            self._error(node.pos, "yaml-tag", f"'{text}' cannot be read as {_short(tag)}")
        else:
            self._error(node.pos, "yaml-tag", f"unsupported tag '{_short(tag)}'", _TAG_HINT)
        return None

    def _entries(self, node: MapNode) -> list[tuple[str, Pos, Node]]:
        """The mapping's (key, key position, value node) after ``<<`` merges, explicit keys first.

        Merge sources are visited depth-first in order, so the first definition of a key wins.
        """
        found: dict[str, tuple[Pos, Node]] = {}
        pending: list[MapNode] = [node]
        visited: set[int] = set()
        while pending:
            mapping = pending.pop()
            if id(mapping) in visited:
                continue
            visited.add(id(mapping))
            first_line: dict[str, int] = {}
            merges: list[MapNode] = []
            for key, value in mapping.pairs:
                is_merge = isinstance(key, ScalarNode) and key.tag is None and key.value == "<<"
                name = "<<" if is_merge else self._key_name(key)
                if name is None:
                    continue
                if name in first_line:
                    message = f"duplicate key '{name}' (first defined on line {first_line[name]})"
                    self._error(key.pos, "duplicate-key", message)
                    continue
                first_line[name] = key.pos.line
                if is_merge:
                    merges.extend(self._merge_sources(value))
                elif name not in found:
                    found[name] = (key.pos, value)
            pending.extend(reversed(merges))
        return [(name, pos, value) for name, (pos, value) in found.items()]

    def _merge_sources(self, value: Node) -> list[MapNode]:
        if isinstance(value, MapNode) and _tag(value) == _MAP:
            return [value]
        if isinstance(value, SeqNode) and _tag(value) == _SEQ:
            maps = [i for i in value.items if isinstance(i, MapNode) and _tag(i) == _MAP]
            if len(maps) == len(value.items):
                return maps
        message = "'<<' merges a mapping or a list of mappings (usually an alias like *defaults)"
        self._error(value.pos, "yaml-merge", message)
        return []

    def _key_name(self, key: Node) -> str | None:
        tag = _tag(key)
        if isinstance(key, ScalarNode) and tag == _STR:
            return key.value
        if isinstance(key, ScalarNode) and tag == _NULL:
            self._error(key.pos, "key-type", "mapping key is empty (null); keys must be strings")
        elif isinstance(key, ScalarNode) and tag in _KIND:
            message = f"mapping key {key.value} is read as {_KIND[tag]}; keys must be strings"
            self._error(key.pos, "key-type", message, f'quote it: "{key.value}":')
        elif isinstance(key, ScalarNode):
            self._error(key.pos, "yaml-tag", f"unsupported tag '{_short(tag)}'", _TAG_HINT)
        else:
            kind = "list" if isinstance(key, SeqNode) else "mapping"
            message = f"a {kind} cannot be a mapping key; keys must be strings"
            self._error(key.pos, "key-type", message)
        return None
