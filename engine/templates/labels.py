"""``labels.yaml``: label key -> short Jinja string, read by the scenario loader.

The file goes through :func:`engine.scenario.loader.load_yaml_file`, so it gets the scenarios' YAML
hygiene and diagnostics (``yaml-syntax`` with hints, ``duplicate-key``, ``key-type``, ``yaml-tag``,
``file-read``; ``yes``/``on`` stay text; anchors and ``<<`` merges work). What is wrong with the
labels themselves is a ``label-file`` error at the key or value: a value that is not a string, a
key that is not a dotted name, a dotted key that clashes with a nested one. Nested mappings
flatten to dotted keys: ``menu: {catalog: C}`` is the label ``menu.catalog``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.diagnostics import Diagnostics
from engine.scenario.loader import LoadedYaml, YamlPath, load_yaml_file

__all__ = ["LABEL_FILE", "LabelSource", "read_labels"]

LABEL_FILE = "labels.yaml"

_LABEL_KEY_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_KINDS = {bool: "bool", int: "int", float: "float", type(None): "null", list: "a list"}


@dataclass(frozen=True)
class LabelSource:
    """One label as written: its dotted key, its text and where both are in the file."""

    key: str
    text: str
    key_line: int
    key_col: int
    first_line: int  # the labels.yaml line holding line 1 of the label's text
    col: int


def read_labels(path: Path, file: str, out: Diagnostics) -> tuple[dict[str, LabelSource], list[str]]:
    """The labels of ``path`` by dotted key, and the file's lines; problems go to ``out``."""
    loaded, problems = load_yaml_file(path, file)
    out.extend(problems)
    reported = {(d.line, d.col) for d in problems}  # a value the loader refused is not re-reported
    labels: dict[str, LabelSource] = {}
    if loaded is None or loaded.data is None:
        return labels, loaded.lines if loaded else []
    if not isinstance(loaded.data, dict):
        pos = loaded.positions.lookup(())
        out.error(file, pos.line, pos.col, "label-file", f"{LABEL_FILE} must map label keys to texts")
        return labels, loaded.lines
    _flatten(loaded, loaded.data, (), "", labels, reported, out)
    return labels, loaded.lines


def _flatten(loaded: LoadedYaml, mapping: dict[str, object], path: YamlPath, prefix: str,
             labels: dict[str, LabelSource], reported: set[tuple[int, int]],
             out: Diagnostics) -> None:
    file = loaded.file
    for raw, value in mapping.items():
        here = (*path, raw)
        key_pos = loaded.positions.lookup(here)
        line, col = key_pos.line, key_pos.col
        key = f"{prefix}.{raw}" if prefix else raw
        if not _LABEL_KEY_RE.fullmatch(key):
            out.error(file, line, col, "label-file",
                      f"invalid label key '{key}': use letters, digits, '_' and '-', "
                      "with '.' between parts")
            continue
        if isinstance(value, dict):
            _flatten(loaded, value, here, key, labels, reported, out)
            continue
        if key in labels:
            out.error(file, line, col, "label-file",
                      f"duplicate label key '{key}' (first defined on line {labels[key].key_line})")
            continue
        pos = loaded.positions.node(here) or key_pos
        if not isinstance(value, str):
            if (pos.line, pos.col) in reported:
                continue
            kind = _KINDS.get(type(value), "a non-string value")
            out.error(file, pos.line, pos.col, "label-file",
                      f"label '{key}' must be a string, not {kind}", "quote the text")
            continue
        written = loaded.lines[pos.line - 1][pos.col - 1:].split() if pos.line <= len(loaded.lines) else []
        while written and written[0][:1] in ("&", "!"):  # an anchor or a tag before the text
            written.pop(0)
        block = bool(written) and written[0][:1] in ("|", ">")  # the text starts on the next line
        labels[key] = LabelSource(key, value, line, col, pos.line + (1 if block else 0), pos.col)
