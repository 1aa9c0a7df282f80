"""The render budget: what one render of a template, label or expression may cost.

A template is written by people who do not think about sizes, and it renders data from users, so
each render is bounded (:class:`Budget`, one per render, shared by its includes and macros):

* :data:`MAX_STEPS` loop iterations and calls (macros, methods), and :data:`MAX_SECONDS` of time,
  checked at every step: a runaway loop fails in well under a second instead of blocking every
  chat of the bot;
* :data:`MAX_OUTPUT` characters of output, and :data:`MAX_GENERATED` characters produced in all
  (macro bodies and ``{% set %}`` blocks included);
* no value built by ``*``, ``+``, ``~``, ``%``, string methods or the padding filters is longer
  than :data:`MAX_SEQUENCE`, and ``**`` makes numbers of at most :data:`MAX_POWER_BITS` bits: the
  size is checked before the value is built, so ``{{ name * 10**9 }}`` never allocates a gigabyte.

Going over any of them raises :class:`RenderLimitError` inside the template, so the error names
the template's file and line. The guarded operators are *intercepted* binary operators of the
sandbox, which Jinja never folds at compile time; :func:`check_constants` reports a constant
expression over a limit (``{{ "a" * 10**9 }}``) as :class:`ConstantTooLarge`, a syntax error at
its line, so ``check`` finds it without building it. :class:`Guard` rewrites a template's AST
before it is compiled: loops, ``~`` and output go through the ``budget:*`` filters (names no
template can write).
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from jinja2 import nodes, pass_context
from jinja2.exceptions import TemplateSyntaxError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import Context
from jinja2.visitor import NodeTransformer

from engine.errors import TemplateError

__all__ = [
    "GUARDED_BINOPS",
    "HOOKS",
    "MAX_GENERATED",
    "MAX_OUTPUT",
    "MAX_POWER_BITS",
    "MAX_SECONDS",
    "MAX_SEQUENCE",
    "MAX_STEPS",
    "Budget",
    "ConstantTooLarge",
    "Guard",
    "RenderLimitError",
    "bounded_binop",
    "check_call",
    "check_constants",
    "check_format",
    "collect",
    "guarded_filters",
    "rendering",
]

MAX_STEPS = 50_000
MAX_SECONDS = 1.0
MAX_OUTPUT = 64 * 1024
MAX_GENERATED = 1024 * 1024
MAX_SEQUENCE = 64 * 1024
MAX_POWER_BITS = 4096
GUARDED_BINOPS = frozenset({"*", "**", "+", "%"})


class RenderLimitError(TemplateError):
    """A render went over its budget (steps, time, output or the size of a value)."""


class ConstantTooLarge(TemplateSyntaxError):
    """A constant expression of a template would build a value over a limit."""


class Budget:
    """What one render has spent so far."""

    __slots__ = ("deadline", "generated", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.generated = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise RenderLimitError(f"more than {MAX_STEPS} loop iterations and calls")
        if time.monotonic() > self.deadline:
            raise RenderLimitError(f"rendering took longer than {MAX_SECONDS:g} s")

    def produce(self, size: int) -> None:
        self.generated += size
        if self.generated > MAX_GENERATED:
            raise RenderLimitError(f"more than {MAX_GENERATED} characters produced")


_CURRENT: ContextVar[Budget | None] = ContextVar("tgflow_render_budget", default=None)


def _budget() -> Budget:
    """The budget of the render in progress (a render through Jinja's API alone gets one per
    hook call, which still bounds every single loop and value)."""
    return _CURRENT.get() or Budget()


@contextmanager
def rendering() -> Iterator[Budget]:
    """Run a render under one budget; a render inside a render shares its budget."""
    current = _CURRENT.get()
    if current is not None:
        yield current
        return
    budget = Budget()
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def collect(parts: Iterator[str]) -> str:
    """Join a template's output, failing *inside* the template (at the line that wrote it) as
    soon as it is longer than :data:`MAX_OUTPUT`."""
    collected: list[str] = []
    size = 0
    for part in parts:
        size += len(part)
        if size > MAX_OUTPUT:
            thrower = getattr(parts, "throw", None)
            error = RenderLimitError(f"the output is longer than {MAX_OUTPUT} characters")
            if thrower is not None:
                thrower(error)
            raise error
        collected.append(part)
    return "".join(collected)


# --- sizes of values -------------------------------------------------------------------------

def _too_long(size: int, what: str) -> None:
    if size > MAX_SEQUENCE:
        raise RenderLimitError(f"{what} would be {size} long; at most {MAX_SEQUENCE} is allowed")


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 0


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")


def _int_args(values: Iterable[object]) -> Iterator[int]:
    return (v for v in values if isinstance(v, int) and not isinstance(v, bool))


def check_format(template: str, args: Sequence[object], kwargs: Mapping[str, object],
                 percent: bool) -> None:
    """Refuse a ``%`` or ``str.format`` format whose widths or precisions are over the limit
    (given in the format or, through ``*`` or a nested ``{}``, in the arguments)."""
    nested = False
    if percent:
        for match in _PERCENT_SPEC.finditer(template):
            for number in match.groups():
                if number == "*":
                    nested = True
                elif number is not None:
                    _too_long(int(number), "a formatted field")
    else:
        try:
            specs = [spec for _, _, spec, _ in string.Formatter().parse(template) if spec]
        except ValueError:
            return  # str.format raises its own error
        for spec in specs:
            nested = nested or "{" in spec
            for number in _NUMBER.findall(spec):
                _too_long(int(number), "a formatted field")
    if nested:
        for number in _int_args([*args, *kwargs.values()]):
            _too_long(number, "a formatted field")


def bounded_binop(operator: str, left: Any, right: Any) -> Any:
    """``left <operator> right`` for the guarded operators, refusing oversized results first."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if _size(seq) and isinstance(count, int):
                _too_long(_size(seq) * count, "a repeated value")
        return left * right
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
            bits = abs(left).bit_length() * right
            if bits > MAX_POWER_BITS:
                raise RenderLimitError(f"a power would have about {bits} bits; "
                                       f"at most {MAX_POWER_BITS} are allowed")
        return left**right
    if operator == "%":
        if isinstance(left, str):
            args = right if isinstance(right, tuple) else (right,)
            check_format(left, args, right if isinstance(right, Mapping) else {}, percent=True)
        return left % right
    if operator == "+":
        _too_long(_size(left) + _size(right), "a joined value")
        return left + right
    raise ValueError(f"operator {operator!r} is not guarded")  # pragma: no cover


_STR_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def check_call(obj: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse a string method call that would build a value over the limit."""
    method = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format and format_map
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if isinstance(owner, str) and name in ("format", "format_map"):
        mapping = args[0] if name == "format_map" and args else kwargs
        check_format(owner, () if name == "format_map" else args, mapping, percent=False)
    if not isinstance(owner, str | bytes):
        return
    if name in _STR_WIDTH_METHODS:
        for number in _int_args([*args, *kwargs.values()]):
            _too_long(number * (8 if name == "expandtabs" else 1), f"the result of .{name}()")
    elif name == "replace" and len(args) >= 2:
        old = args[0]
        count = owner.count(old) if isinstance(old, str) and isinstance(owner, str) else 0
        _too_long(len(owner) + count * _size(args[1]), "the result of .replace()")
    elif name == "join" and args:
        items = list(args[0]) if isinstance(args[0], Iterable) else []
        _too_long(sum(_size(i) for i in items) + len(owner) * len(items), "the result of .join()")


# --- filters ---------------------------------------------------------------------------------

def _width_guarded(name: str) -> Callable[..., Any]:
    original = JINJA_FILTERS[name]

    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        for number in _int_args([*args, *kwargs.values()]):
            _too_long(number, f"the result of |{name}")
        return original(value, *args, **kwargs)

    return guarded


def _replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: Any = None) -> Any:
    text = str(value)
    found = text.count(str(old)) if count is None else min(int(count), text.count(str(old)))
    _too_long(len(text) + found * len(str(new)), "the result of |replace")
    return JINJA_FILTERS["replace"](eval_ctx, value, old, new, count)


def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
    items = list(value)
    _too_long(sum(_size(i) for i in items) + len(str(d)) * len(items), "the result of |join")
    return JINJA_FILTERS["join"](eval_ctx, items, d, attribute)


def _format(value: Any, *args: Any, **kwargs: Any) -> Any:
    check_format(str(value), args, kwargs, percent=True)
    return JINJA_FILTERS["format"](value, *args, **kwargs)


_replace.jinja_pass_arg = JINJA_FILTERS["replace"].jinja_pass_arg  # type: ignore[attr-defined]
_join.jinja_pass_arg = JINJA_FILTERS["join"].jinja_pass_arg  # type: ignore[attr-defined]


@pass_context
def _iterate(context: Context, iterable: Any) -> Iterator[Any]:
    """``budget:iter``: a loop, one step per iteration."""
    budget = _budget()
    for item in iterable:
        budget.step()
        yield item


@pass_context
def _produced(context: Context, value: Any, literal: int = 0) -> Any:
    """``budget:out``: what an ``{{ }}`` (or, with ``literal``, a template's text) produces."""
    _budget().produce(literal or (len(value) if isinstance(value, str) else len(str(value))))
    return value


@pass_context
def _sized(context: Context, value: Any) -> Any:
    """``budget:size``: a value built by ``~``."""
    _too_long(_size(value), "a joined value")
    return value


HOOKS: dict[str, Callable[..., Any]] = {
    "budget:iter": _iterate, "budget:out": _produced, "budget:size": _sized,
}


def guarded_filters() -> dict[str, Callable[..., Any]]:
    """Jinja's filters that can build large values, with their sizes checked, plus the hooks."""
    guarded: dict[str, Callable[..., Any]] = {
        name: _width_guarded(name) for name in ("center", "indent", "batch", "slice", "wordwrap")
    }
    guarded.update(replace=_replace, join=_join, format=_format)
    return {**guarded, **HOOKS}


# --- the AST rewrite and the constant check --------------------------------------------------

def _hook(name: str, node: nodes.Expr, *args: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)


class Guard(NodeTransformer):
    """Routes loops, ``~`` and output of one template through the budget hooks."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _hook("budget:iter", cast(nodes.Expr, node.iter))
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _hook("budget:size", node)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        literal = sum(len(c.data) for c in node.nodes if isinstance(c, nodes.TemplateData))
        children: list[nodes.Expr] = [
            c if isinstance(c, nodes.TemplateData) else _hook("budget:out", c)
            for c in node.nodes if isinstance(c, nodes.Expr)
        ]
        if literal:
            children.insert(0, _hook("budget:out", nodes.Const("", lineno=node.lineno),
                                     nodes.Const(literal, lineno=node.lineno)))
        node.nodes = children
        return node


class _NotConstant(Exception):
    pass


def _constant(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.BinExpr) and node.operator in GUARDED_BINOPS:
        try:
            return bounded_binop(node.operator, _constant(node.left), _constant(node.right))
        except (RenderLimitError, _NotConstant):
            raise
        except Exception as exc:
            raise _NotConstant from exc
    if isinstance(node, nodes.Expr):
        try:
            return node.as_const()
        except Exception as exc:
            raise _NotConstant from exc
    raise _NotConstant


def check_constants(ast: nodes.Template) -> None:
    """Raise :class:`ConstantTooLarge` at the line of a constant expression that would build a
    value over a limit; nothing is built over the limit on the way."""
    for node in ast.find_all(nodes.BinExpr):
        if node.operator in GUARDED_BINOPS:
            try:
                _constant(node)
            except RenderLimitError as exc:
                raise ConstantTooLarge(f"this constant expression is too large: {exc}",
                                       node.lineno) from None
            except _NotConstant:
                continue
