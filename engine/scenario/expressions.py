"""Expressions written in YAML: ``when:`` conditions, list ``items:``, action arguments, media URLs.

* ``when: "cart.count > 0"`` and ``items: products`` are Jinja expressions;
* an argument ``"{{ item.id }}"`` (one expression and nothing else) evaluates to a native value;
* any other string with ``{{`` renders to a string (``"tg-{{ chat.id }}"``);
* anything else is a literal.

All of them compile once, at start-up, in the engine's one sandboxed Jinja environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from engine.templates import ExpressionSyntaxError, TemplateStore

__all__ = ["ExpressionChecker", "compile_condition", "compile_value"]

_SOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)

Evaluator = Callable[[Mapping[str, Any]], Any]


def _sole_expression(value: str) -> str | None:
    match = _SOLE_EXPRESSION.match(value)
    if match and "{{" not in match.group("expr") and "}}" not in match.group("expr"):
        return match.group("expr").strip()
    return None


class ExpressionChecker:
    """Static checks for the linker: syntax and the variables an expression reads."""

    def __init__(self, store: TemplateStore) -> None:
        self.store = store

    def check(self, source: str) -> tuple[str | None, set[str]]:
        try:
            compiled = self.store.compile_expression(source)
        except ExpressionSyntaxError as exc:
            return f"invalid expression {source!r}: {exc.detail}", set()
        return None, set(compiled.variables)

    def check_template(self, value: str) -> tuple[str | None, set[str]]:
        expr = _sole_expression(value)
        if expr is not None:
            return self.check(expr)
        try:
            inline = self.store.compile_inline(value)
        except ExpressionSyntaxError as exc:
            return f"invalid template {value!r}: {exc.detail}", set()
        return None, set(inline.variables)


def compile_condition(store: TemplateStore, source: str) -> Evaluator:
    """A ``when:`` condition or an ``items:`` expression."""
    compiled = store.compile_expression(source)
    return lambda scope: compiled.evaluate(scope, locale=_locale(scope))


def _locale(scope: Mapping[str, Any]) -> str | None:
    locale = scope.get("locale")
    return locale if isinstance(locale, str) else None


def compile_value(store: TemplateStore, value: Any) -> Evaluator:
    """An action argument (or URL): native expression, string template, or literal."""
    if isinstance(value, str) and "{{" in value:
        expr = _sole_expression(value)
        if expr is not None:
            compiled = store.compile_expression(expr)
            return lambda scope: compiled.evaluate(scope, locale=_locale(scope))
        inline = store.compile_inline(value)
        return lambda scope: inline.render(scope, locale=_locale(scope))
    if isinstance(value, list):
        parts = [compile_value(store, v) for v in value]
        return lambda scope: [p(scope) for p in parts]
    if isinstance(value, dict):
        items = {k: compile_value(store, v) for k, v in value.items()}
        return lambda scope: {k: p(scope) for k, p in items.items()}
    return lambda scope: value
