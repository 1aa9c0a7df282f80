"""Wording a YAML syntax error for people: PyYAML's problem at its line and column, token
names spelled out (``<block end>``: "the end of an indented block"), and a hint for the usual
mistakes (tabs, an unquoted ``{{ ... }}``, a ``: `` inside a value, an unclosed quote)."""

from __future__ import annotations

import re

import yaml
from yaml.error import MarkedYAMLError
from yaml.reader import ReaderError

from engine.diagnostics import Diagnostic

__all__ = ["LINE_BREAK", "TEMPLATE_HINT", "syntax_diagnostic"]

LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_TEMPLATE_VALUE = re.compile(r"(?:^\s*(?:-\s+)?|:\s+)\{\{")
TEMPLATE_HINT = "a value starting with '{' is read as a mapping; quote it: \"{{ ... }}\""
_TAB_HINT = "YAML does not allow tabs for indentation; use spaces"
_COLON_HINT = "a ': ' inside an unquoted value starts a nested mapping; quote the whole value"
_INDENT_HINT = "this line is indented deeper than the key above it; check the indentation"
_QUOTE_HINT = "a quoted value is never closed; add the matching closing quote"
_TOKEN_NAMES = {  # PyYAML's '<token>' names, spelled out
    "block end": "the end of an indented block",
    "block mapping start": "the start of a mapping",
    "block sequence start": "the start of a list",
    "block entry": "a list item '-'",
    "stream end": "the end of the file",
    "document start": "'---'",
    "document end": "'...'",
    "scalar": "a value",
    "alias": "an alias",
    "anchor": "an anchor",
    "tag": "a tag",
    "key": "a key",
    "value": "':'",
    "flow mapping start": "'{'",
    "flow mapping end": "'}'",
    "flow sequence start": "'['",
    "flow sequence end": "']'",
    "flow entry": "','",
}


def syntax_diagnostic(error: yaml.YAMLError, file: str, text: str, lines: list[str]) -> Diagnostic:
    line, col, context = 1, 1, ""
    if isinstance(error, MarkedYAMLError):  # scanner / parser errors
        mark = error.problem_mark or error.context_mark
        if mark is not None:
            line, col = mark.line + 1, mark.column + 1
        message = _clean(error.problem or error.context or "invalid YAML")
        context = error.context or ""
        if error.problem and context and context != "while scanning for the next token":
            message += " " + _clean(context)
            cmark = error.context_mark
            if cmark is not None and (cmark.line + 1, cmark.column + 1) != (line, col):
                message += f" (started at line {cmark.line + 1}, column {cmark.column + 1})"
        tab = "'\\t'" in (error.problem or "")
    elif isinstance(error, ReaderError):
        before = text[: int(error.position)]
        line = len(LINE_BREAK.findall(before)) + 1
        col = len(LINE_BREAK.split(before)[-1]) + 1
        char = error.character
        shown = f"#x{char:04x}" if isinstance(char, int) else f"#x{ord(char):04x}"
        message = f"unacceptable character {shown}: {error.reason}"
        tab = False
    else:  # pragma: no cover - every PyYAML parse error is one of the two above
        message, tab = str(error), False
    source = lines[line - 1] if line <= len(lines) else ""
    indent = source[: len(source) - len(source.lstrip(" \t"))]
    hint: str | None = None
    if tab or "\t" in indent:
        hint = _TAB_HINT
    elif _TEMPLATE_VALUE.search(source):
        hint = TEMPLATE_HINT
    elif context.startswith("while scanning a quoted scalar"):
        hint = _QUOTE_HINT
    elif "mapping values are not allowed" in message:
        hint = _COLON_HINT if ":" in source[: col - 1] else _INDENT_HINT
    return Diagnostic(file, line, col, "yaml-syntax", message, hint=hint)


def _clean(text: str) -> str:
    """PyYAML's wording with token names like '<block end>' spelled out for people."""
    text = re.sub(r"'?<([a-z ]+)>'?", lambda m: _TOKEN_NAMES.get(m[1], m[1]), text)
    text = text.replace("character '\\t'", "a tab character")
    text = text.replace("found '?'", "found a mapping key")
    return text.replace("end of stream", "end of the file")
