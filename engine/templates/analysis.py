"""What a compiled template reads, defines and includes, and where a syntax error sits.

Jinja's AST (``nodes.Template``) is inspected once, at load time: :func:`undeclared` gives the
top-level names a template reads, :func:`declared` the names it defines itself, and
:func:`references` its static ``{% include %}``/``{% extends %}``/``{% import %}`` targets.
:func:`syntax_diagnostic` turns Jinja's line-only syntax errors into ``file:line:col``
diagnostics with a "did you mean" for misspelled filters and tests (``template-limit`` for a
constant expression over a render limit).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import meta, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.diagnostics import Diagnostics, did_you_mean
from engine.templates.budget import ConstantTooLarge
from engine.templates.environment import RESERVED_VARIABLES

__all__ = ["Ref", "names_defined", "references", "syntax_diagnostic", "undeclared"]

_OPENER_RE = re.compile(r"\{[{%#]")
_UNKNOWN_NAME_RE = re.compile(r"No (filter|test) named '([^']+)'")


def _guess_column(env: ImmutableSandboxedEnvironment, line: str) -> int:
    """Jinja reports lines only: point at the first ``{{ }}`` on ``line`` that does not parse on
    its own, else the first ``{% %}`` tag, else the first tag, else the first non-blank."""
    openers = [m.start() for m in _OPENER_RE.finditer(line)]
    for pos in openers:
        if line.startswith("{{", pos):
            end = line.find("}}", pos + 2)
            if end < 0:
                return pos + 1
            try:
                env.parse(line[pos : end + 2])
            except TemplateSyntaxError:
                return pos + 1
    for pos in openers:
        if line.startswith("{%", pos):
            return pos + 1
    if openers:
        return openers[0] + 1
    return len(line) - len(line.lstrip()) + 1 if line.strip() else 1


def _syntax_hint(env: ImmutableSandboxedEnvironment, message: str) -> str | None:
    match = _UNKNOWN_NAME_RE.search(message)
    if not match:
        return None
    pool = env.filters if match.group(1) == "filter" else env.tests
    suggestion = did_you_mean(match.group(2), pool).strip()
    return suggestion.strip("()") if suggestion else None


def undeclared(ast: nodes.Template) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(ast) - RESERVED_VARIABLES)


def names_defined(ast: nodes.Template) -> frozenset[str]:
    names = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    names.update(m.name for m in ast.find_all(nodes.Macro))
    names.update(i.target for i in ast.find_all(nodes.Import))
    for node in ast.find_all(nodes.FromImport):
        names.update(n if isinstance(n, str) else n[1] for n in node.names)
    return frozenset(names)


@dataclass(frozen=True)
class Ref:
    """A static ``{% include/extends/import "name" %}``."""

    name: str
    line: int
    with_context: bool
    optional: bool


def references(ast: nodes.Template) -> tuple[Ref, ...]:
    refs: list[Ref] = []
    for node in ast.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        if isinstance(node, nodes.Extends):
            target, with_context, optional = node.template, True, False
        elif isinstance(node, nodes.Include):
            target, with_context, optional = node.template, node.with_context, node.ignore_missing
        elif isinstance(node, nodes.Import | nodes.FromImport):
            target, with_context, optional = node.template, node.with_context, False
        else:  # pragma: no cover - find_all yields only the node types asked for
            continue
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            refs.append(Ref(target.value, node.lineno, with_context, optional))
        # a dynamic name cannot be checked statically
    return tuple(refs)


def syntax_diagnostic(env: ImmutableSandboxedEnvironment, exc: TemplateSyntaxError, file: str,
                      lines: Sequence[str], first_line: int, fallback_col: int,
                      out: Diagnostics) -> None:
    line = first_line + max(exc.lineno, 1) - 1
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    col = _guess_column(env, text) if _OPENER_RE.search(text) else fallback_col
    message = exc.message or "syntax error"
    code = "template-limit" if isinstance(exc, ConstantTooLarge) else "template-syntax"
    out.error(file, line, col, code, message, _syntax_hint(env, message))
