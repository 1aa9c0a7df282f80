"""Where things are in a YAML file: the positioned node graph and the index of positions.

:func:`compose` turns PyYAML parser events into a graph of :class:`ScalarNode`, :class:`SeqNode`
and :class:`MapNode`, each carrying its :class:`Pos`. It is iterative (no nesting depth hits the
recursion limit) and builds nothing else: tags stay as written, values stay text, aliases point at
their anchored node. The loader turns that graph into plain data and a :class:`Positions` index.

A path is a tuple of mapping keys (``str``) and sequence indices (``int``), the shape of pydantic's
error ``loc``: the value of ``buttons[1].on_click`` lives at ``("buttons", 1, "on_click")``; the
root is ``()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from engine.diagnostics import Diagnostic

__all__ = [
    "MAX_DEPTH",
    "ComposeError",
    "MapNode",
    "Node",
    "Pos",
    "Positions",
    "ScalarNode",
    "SeqNode",
    "YamlPath",
    "compose",
]

YamlPath = tuple[str | int, ...]

MAX_DEPTH = 64
"""Mappings and lists nest at most this deep (a real scenario needs about 10): deeper documents
are refused where they cross it, which keeps loading linear (every value's path is a tuple as
long as its depth) and everything downstream (validation, copies) far from the recursion limit."""


@dataclass(frozen=True)
class Pos:
    """A place in a file; ``line`` and ``col`` are 1-based."""

    file: str
    line: int
    col: int


class Positions:
    """Where every value (and every mapping key) of one document was written."""

    def __init__(
        self,
        file: str,
        nodes: Mapping[YamlPath, Pos],
        keys: Mapping[YamlPath, Pos],
        mapping_keys: Mapping[YamlPath, Sequence[str]],
    ) -> None:
        self._file = file
        self._nodes = dict(nodes)
        self._keys = dict(keys)
        self._mapping_keys = {path: list(names) for path, names in mapping_keys.items()}

    @property
    def file(self) -> str:
        return self._file

    def node(self, path: YamlPath) -> Pos | None:
        """The position of the value at ``path``."""
        return self._nodes.get(tuple(path))

    def key(self, path: YamlPath) -> Pos | None:
        """The position of the mapping key whose value is at ``path`` (None for items and root)."""
        return self._keys.get(tuple(path))

    def lookup(self, path: YamlPath) -> Pos:
        """The best position for ``path``: its key, else its value, else the nearest ancestor's.

        Paths longer than the document (pydantic adds union tags and model names to ``loc``)
        fall back to their deepest known prefix, and an unknown path to ``file:1:1``.
        """
        current = tuple(path)
        while True:
            found = self._keys.get(current) or self._nodes.get(current)
            if found is not None:
                return found
            if not current:
                return Pos(self._file, 1, 1)
            current = current[:-1]

    def grafted(self, copies: Iterable[tuple[YamlPath, YamlPath]]) -> Positions:
        """These positions plus, for each ``(source, target)``, everything written under
        ``source`` also found under ``target`` (a shared piece copied to where it is used: its
        problems point at its definition; ``target`` itself keeps its own position)."""
        nodes, keys = dict(self._nodes), dict(self._keys)
        mapping_keys = dict(self._mapping_keys)
        for source, target in copies:
            size = len(source)
            for path, pos in self._nodes.items():
                if len(path) > size and path[:size] == source:
                    nodes[(*target, *path[size:])] = pos
            for path, pos in self._keys.items():
                if len(path) > size and path[:size] == source:
                    keys[(*target, *path[size:])] = pos
            for path, names in self._mapping_keys.items():
                if path[:size] == source:
                    mapping_keys[(*target, *path[size:])] = names
        return Positions(self._file, nodes, keys, mapping_keys)

    def keys_at(self, path: YamlPath) -> list[str]:
        """The keys of the mapping at ``path`` in file order (merged keys last); [] if none."""
        return list(self._mapping_keys.get(tuple(path), ()))

    def __len__(self) -> int:
        return len(self._nodes)


# --- the positioned node graph ---------------------------------------------------------------

STR_TAG = "tag:yaml.org,2002:str"


@dataclass(eq=False, slots=True)
class ScalarNode:
    """A scalar as written; ``tag`` is None only for an untagged plain scalar (to be resolved)."""

    tag: str | None
    value: str
    pos: Pos


@dataclass(eq=False, slots=True)
class SeqNode:
    tag: str | None  # None: no tag or the non-specific '!'
    pos: Pos
    items: list[Node] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class MapNode:
    tag: str | None
    pos: Pos
    flow: bool
    pairs: list[tuple[Node, Node]] = field(default_factory=list)


Node = ScalarNode | SeqNode | MapNode


class ComposeError(Exception):
    """No usable document: several documents, a bad alias or anchor, runaway alias expansion."""

    def __init__(self, pos: Pos, code: str, message: str) -> None:
        super().__init__(message)
        self.pos, self.code, self.message = pos, code, message

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.pos.file, self.pos.line, self.pos.col, self.code, self.message)


def compose(text: str, file: str) -> Node | None:
    """The graph of the single document in ``text`` (None if it has none).

    Raises ``yaml.YAMLError`` for scanner/parser errors, worded by PyYAML's pure-Python parser
    (libyaml parses the happy path), and :class:`ComposeError` for the rest.
    """
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        pass
    else:
        try:
            return _compose(CParser(text), file)
        except (yaml.YAMLError, UnicodeError):
            pass  # parse again below: PyYAML's own messages are clearer than libyaml's
    return _compose(_PyParser(text), file)


class _Events(Protocol):
    def check_event(self, *choices: type[Event]) -> bool: ...
    def peek_event(self) -> Event | None: ...
    def get_event(self) -> Event | None: ...


class _PyParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python parser alone: no composer, no constructor, no resolver."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


@dataclass(slots=True)
class _Open:
    node: SeqNode | MapNode
    anchor: str | None
    key: Node | None = None


def _event(events: _Events) -> Event:
    event = events.get_event()
    if event is None:  # pragma: no cover - the parser always ends with StreamEndEvent
        raise yaml.YAMLError("unexpected end of events")
    return event


def _pos(file: str, event: Event | None) -> Pos:
    mark = event.start_mark if event is not None else None
    return Pos(file, mark.line + 1, mark.column + 1) if mark is not None else Pos(file, 1, 1)


def _compose(events: _Events, file: str) -> Node | None:
    _event(events)  # StreamStart
    if events.check_event(StreamEndEvent):
        return None
    _event(events)  # DocumentStart
    root = _compose_document(events, file)
    _event(events)  # DocumentEnd
    if not events.check_event(StreamEndEvent):
        message = "a scenario file holds one YAML document; found another one here"
        raise ComposeError(_pos(file, events.peek_event()), "yaml-multi-doc", message)
    return root


def _compose_document(events: _Events, file: str) -> Node:
    anchors: dict[str, Node] = {}
    stack: list[_Open] = []
    while True:
        event = _event(events)
        if isinstance(event, CollectionEndEvent):
            done = stack.pop()
            if not stack:
                return done.node
            continue
        pos = _pos(file, event)
        node: Node
        if isinstance(event, AliasEvent):
            name = event.anchor or ""
            if name not in anchors:
                raise ComposeError(pos, "yaml-syntax", f"found undefined alias '{name}'")
            if any(frame.anchor == name for frame in stack):
                message = f"alias '{name}' is used inside its own anchor"
                raise ComposeError(pos, "yaml-syntax", message)
            node = anchors[name]
        else:
            if isinstance(event, ScalarEvent):
                quoted = event.tag is None and not event.implicit[0]
                tag = STR_TAG if quoted or event.tag == "!" else event.tag
                node = ScalarNode(tag, event.value, pos)
            elif isinstance(event, SequenceStartEvent):
                node = SeqNode(None if event.tag == "!" else event.tag, pos)
            elif isinstance(event, MappingStartEvent):
                tag = None if event.tag == "!" else event.tag
                node = MapNode(tag, pos, bool(event.flow_style))
            else:  # pragma: no cover - the parser emits nothing else inside a document
                raise ComposeError(pos, "yaml-syntax", f"unexpected {type(event).__name__}")
            anchor = event.anchor
            if anchor is not None:
                if anchor in anchors:
                    first = anchors[anchor].pos.line
                    message = f"anchor '{anchor}' is already defined on line {first}"
                    raise ComposeError(pos, "yaml-syntax", message)
                anchors[anchor] = node
        if stack:
            parent = stack[-1]
            if isinstance(parent.node, SeqNode):
                parent.node.items.append(node)
            elif parent.key is None:
                parent.key = node
            else:
                parent.node.pairs.append((parent.key, node))
                parent.key = None
        if isinstance(node, ScalarNode) or isinstance(event, AliasEvent):
            if not stack:
                return node
        else:
            if len(stack) >= MAX_DEPTH:
                message = f"nesting is deeper than the limit: more than {MAX_DEPTH} levels"
                raise ComposeError(pos, "yaml-too-deep", message)
            stack.append(_Open(node, event.anchor))
