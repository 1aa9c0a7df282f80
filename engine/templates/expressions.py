"""Expressions and inline template strings from scenario YAML, compiled once.

``when: cart.count > 0`` becomes a :class:`CompiledExpression` (a plain Python value when
evaluated); ``url: "https://x/{{ item.id }}"`` becomes an :class:`InlineTemplate` (plain text, no
autoescape: URLs and action arguments are not HTML). Both are sandboxed like message templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Template, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.templates.analysis import undeclared
from engine.templates.budget import rendering
from engine.templates.environment import (
    PLAIN,
    ExpressionSyntaxError,
    TemplateRenderError,
    compile_ast,
    context_vars,
    describe,
)

__all__ = ["CompiledExpression", "InlineTemplate", "compile_expression", "compile_inline"]


class CompiledExpression:
    """A Jinja expression from scenario YAML (``when: cart.count > 0``, ``item.id``).

    ``variables`` are the top-level names it reads. Evaluation is sandboxed like templates and
    undefined names raise :class:`TemplateRenderError`; the result is a plain Python value.
    """

    __slots__ = ("_expression", "_locale", "_timezone", "source", "variables")

    def __init__(self, source: str, expression: TemplateExpression, variables: frozenset[str],
                 locale: str, timezone: str) -> None:
        self.source = source
        self.variables = variables
        self._expression = expression
        self._locale = locale
        self._timezone = timezone

    def evaluate(self, data: Mapping[str, Any] | None = None, *, locale: str | None = None,
                 timezone: str | None = None) -> Any:
        variables = context_vars(data, locale or self._locale, timezone, self._timezone)
        try:
            with rendering():
                result = self._expression(variables)
            if isinstance(result, Undefined):
                str(result)  # StrictUndefined raises the precise error (undefined or unsafe)
                raise UndefinedError(f"{self.source!r} is undefined")
        except Exception as exc:
            raise TemplateRenderError(
                f"expression {self.source!r}: {describe(exc)}", name=self.source,
                locale=locale or self._locale,
            ) from exc
        return result

    def is_true(self, data: Mapping[str, Any] | None = None, *, locale: str | None = None,
                timezone: str | None = None) -> bool:
        """The truth of the expression, as a ``when:`` condition sees it."""
        return bool(self.evaluate(data, locale=locale, timezone=timezone))

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"


class InlineTemplate:
    """A short template string from scenario YAML (``url: "https://x/{{ item.id }}"``).

    Renders to plain text (no autoescape: URLs and action arguments are not HTML).
    """

    __slots__ = ("_locale", "_template", "_timezone", "source", "variables")

    def __init__(self, source: str, template: Template, variables: frozenset[str],
                 locale: str, timezone: str) -> None:
        self.source = source
        self.variables = variables
        self._template = template
        self._locale = locale
        self._timezone = timezone

    def render(self, data: Mapping[str, Any] | None = None, *, locale: str | None = None,
               timezone: str | None = None) -> str:
        variables = context_vars(data, locale or self._locale, timezone, self._timezone)
        try:
            return self._template.render(variables).strip()
        except Exception as exc:
            raise TemplateRenderError(
                f"template string {self.source!r}: {describe(exc)}", name=self.source,
                locale=locale or self._locale,
            ) from exc

    def __repr__(self) -> str:
        return f"InlineTemplate({self.source!r})"



def compile_expression(env: ImmutableSandboxedEnvironment, source: str, locale: str,
                       timezone: str) -> CompiledExpression:
    """Compile a Jinja expression (no ``{{ }}``) once; raises :class:`ExpressionSyntaxError`."""
    try:
        parser = Parser(env, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            current = parser.stream.current
            raise TemplateSyntaxError(
                f"unexpected '{current.value}' after the expression", current.lineno)
        assign = nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)
        ast = nodes.Template([assign], lineno=1)
        ast.set_environment(env)
        variables = undeclared(ast) - set(env.globals)
        template = compile_ast(env, ast, f"{PLAIN}<expression>", "<expression>")
    except TemplateSyntaxError as exc:
        raise ExpressionSyntaxError(source, exc.message or str(exc), exc.lineno) from None
    return CompiledExpression(source, TemplateExpression(template, False), variables, locale,
                              timezone)


def compile_inline(env: ImmutableSandboxedEnvironment, source: str, locale: str,
                   timezone: str) -> InlineTemplate:
    """Compile a template string (``"{{ a }}/{{ b }}"``) to plain text; raises
    :class:`ExpressionSyntaxError` when it does not parse."""
    name = f"{PLAIN}<inline>"
    try:
        ast = env.parse(source, name, "<inline>")
        variables = undeclared(ast) - set(env.globals)
        template = compile_ast(env, ast, name, "<inline>")
    except TemplateSyntaxError as exc:
        raise ExpressionSyntaxError(source, exc.message or str(exc), exc.lineno) from None
    return InlineTemplate(source, template, variables, locale, timezone)
