"""The engine's one sandboxed Jinja environment, its errors and its render context.

Autoescape is on for every template except internal plain-text compilation units (names starting
with :data:`PLAIN`); undefined variables raise; there are no globals. Internal template names are
``<locale>/<name>`` and are served, already compiled, by :class:`CompiledLoader`. Every render
runs under a budget (:mod:`engine.templates.budget`): steps, time, output, sizes of values.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from types import CodeType
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, Template, TemplateNotFound, nodes
from jinja2 import Environment as _JinjaEnvironment
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.errors import TemplateError
from engine.templates.budget import (
    GUARDED_BINOPS,
    Guard,
    RenderLimitError,
    bounded_binop,
    check_call,
    check_constants,
    collect,
    guarded_filters,
    rendering,
)
from engine.templates.filters import FILTERS

__all__ = [
    "PLAIN",
    "RESERVED_VARIABLES",
    "CompiledLoader",
    "ExpressionSyntaxError",
    "TemplateRenderError",
    "compile_ast",
    "compile_code",
    "context_vars",
    "create_environment",
    "describe",
    "from_code",
]

RESERVED_VARIABLES = frozenset({"_locale", "_timezone"})
"""Context variables set by every render call; never required from the caller's data."""

PLAIN = "plain:"  # internal names starting with this prefix are compiled without autoescape


class ExpressionSyntaxError(TemplateError):
    """An expression or inline template from scenario YAML does not parse.

    ``detail`` is Jinja's own message and ``lineno`` the 1-based line inside ``source``; the caller
    turns this into a diagnostic at the YAML position of the expression.
    """

    def __init__(self, source: str, detail: str, lineno: int = 1) -> None:
        self.source = source
        self.detail = detail
        self.lineno = lineno
        super().__init__(f"invalid expression {source!r}: {detail}")


class TemplateRenderError(TemplateError):
    """A template, label or expression failed while rendering (undefined variable, filter error,
    blocked unsafe operation). ``file``/``line`` point into the source when they are known."""

    def __init__(
        self, message: str, *, name: str, locale: str | None,
        file: str | None = None, line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.name = name
        self.locale = locale
        self.file = file
        self.line = line


class _BudgetTemplate(Template):
    """A template whose render runs under a budget and stops at the output limit."""

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Context:
        if not shared and not self.globals:
            # Jinja would merge the globals (none here) into a copy of ``vars`` by walking their
            # ChainMap, ~1.6 us a render: a plain copy is the same context, 20 times cheaper
            return super().new_context(dict(vars or ()), True, locals)
        return super().new_context(vars, shared, locals)

    def render(self, *args: Any, **kwargs: Any) -> str:
        ctx = self.new_context(dict(*args, **kwargs))
        with rendering():
            try:
                return collect(self.root_render_func(ctx))
            except Exception:
                self.environment.handle_exception()


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, plus locale-relative ``{% include %}``/``{% extends %}``/``{% import %}``.

    Internal template names are ``<locale>/<name>``; a reference ``"partials/item"`` made from
    ``ru/main/menu`` is looked up as ``ru/partials/item`` (the loader falls back to the default
    locale).

    Sizes and steps are bounded: ``* ** + %`` are intercepted (and so never constant-folded),
    every call is a step of the render's budget, and string methods and ``str.format`` are
    (``.format()`` too) refused when they would build a value over the limit.
    """

    intercepted_binops = GUARDED_BINOPS
    template_class = _BudgetTemplate

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return bounded_binop(operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        with rendering() as budget:
            budget.step()
        check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def join_path(self, template: str, parent: str) -> str:
        locale = parent.removeprefix(PLAIN).partition("/")[0]
        return f"{locale}/{template.lstrip('/')}"


class CompiledLoader(BaseLoader):
    """Hands out the templates compiled at load time; never reads or parses anything."""

    def __init__(self, default_locale: str) -> None:
        self.templates: dict[str, Template] = {}
        self.default_locale = default_locale

    def get_source(
        self, environment: _JinjaEnvironment, template: str
    ) -> tuple[str, str | None, None]:
        raise TemplateNotFound(template)

    def load(
        self, environment: _JinjaEnvironment, name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        found = self.templates.get(name)
        if found is None:
            relative = name.partition("/")[2]
            found = self.templates.get(f"{self.default_locale}/{relative}")
            if found is None:
                raise TemplateNotFound(relative or name)
        return found


def _autoescape(name: str | None) -> bool:
    return not (name or "").startswith(PLAIN)


def create_environment(loader: BaseLoader | None = None) -> ImmutableSandboxedEnvironment:
    """A new sandboxed environment configured the engine's way (no shared state).

    Autoescape is on for every template except internal plain-text compilation units; undefined
    variables raise; no globals (``range``, ``cycler``, ``lipsum``... are removed).
    """
    env = _Environment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        cache_size=0,  # the loader already returns compiled templates
        auto_reload=False,
    )
    env.globals.clear()
    env.filters.update(guarded_filters())
    env.filters.update(FILTERS)
    return env


def compile_ast(env: ImmutableSandboxedEnvironment, ast: nodes.Template, name: str,
             filename: str) -> Template:
    """Compile a parsed template under the render budget. Raises
    :class:`~engine.templates.budget.ConstantTooLarge` (a syntax error at its line) for a
    constant expression over a limit."""
    return from_code(env, compile_code(env, ast, name, filename))


def compile_code(env: ImmutableSandboxedEnvironment, ast: nodes.Template, name: str,
                 filename: str) -> CodeType:
    """The Python code of a parsed template under the render budget (see :func:`compile_ast`)."""
    check_constants(ast)
    Guard().visit(ast)
    code: CodeType = env.compile(ast, name, filename)
    return code


def from_code(env: ImmutableSandboxedEnvironment, code: CodeType) -> Template:
    """A template of ``env`` running compiled ``code`` (from :func:`compile_code`)."""
    return env.template_class.from_code(env, code, env.make_globals(None), None)



def context_vars(data: Mapping[str, Any] | None, locale: str, timezone: str | None,
                  default_timezone: str) -> dict[str, Any]:
    """The render context: ``data`` plus ``_locale`` (always the effective locale) and
    ``_timezone`` (the explicit argument, else ``data["_timezone"]``, else the default)."""
    variables = dict(data) if data else {}
    variables["_locale"] = locale
    if timezone is not None or not isinstance(variables.get("_timezone"), str):
        variables["_timezone"] = timezone or default_timezone
    return variables


def describe(exc: BaseException) -> str:
    if isinstance(exc, RenderLimitError):
        return f"render limit exceeded: {exc}"
    if isinstance(exc, SecurityError):
        return f"unsafe operation blocked: {exc}"
    if isinstance(exc, UndefinedError):
        return str(exc)
    if isinstance(exc, TemplateNotFound):
        return f"template '{exc.name}' not found"
    return f"{type(exc).__name__}: {exc}"
