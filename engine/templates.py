"""The engine's one Jinja environment: message templates, labels, filters and expressions.

Layout on disk (``<root>/<scenario>/<locale>/``)::

    templates/shop/ru/main/menu.html     message template "main/menu" (Telegram HTML)
    templates/shop/ru/labels.yaml        labels: key -> short Jinja string (buttons, toasts)

Everything is parsed and compiled once, by :meth:`TemplateStore.load`, which reports problems as
:class:`~engine.diagnostics.Diagnostic` values instead of raising; rendering only runs the
compiled code.

Escaping rules (one sandboxed environment, ``StrictUndefined``, autoescape on):

* message templates render to Telegram HTML: values from ``data`` are escaped (``< > & " '``),
  the template's own text is taken as written, so it may contain ``<b>`` and friends;
* a label renders either as **plain text** (``render_label(..., escape=False)``, the default:
  for button texts, toasts and alerts, which Telegram shows verbatim) or as **HTML**
  (``escape=True``: for a label put into an HTML message). In both modes the label's own text is
  taken as written; only interpolated values differ (raw vs escaped). The HTML form is returned
  as :class:`markupsafe.Markup`, so passing it to a message template does not escape it twice;
* ``when:`` expressions and inline strings from scenario YAML
  (:meth:`TemplateStore.compile_expression`, :meth:`TemplateStore.compile_inline`) produce
  plain values: they are data, not HTML.

Rendering sets two context variables, ``_locale`` (the effective locale) and ``_timezone``
(the ``timezone=`` argument, else ``data["_timezone"]``, else the store's default); the
``money``, ``plural`` and ``datetime`` filters read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Literal, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from jinja2 import BaseLoader, StrictUndefined, Template, TemplateNotFound, meta, nodes
from jinja2 import Environment as _JinjaEnvironment
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context
from markupsafe import Markup

from engine.diagnostics import Diagnostic, Diagnostics, did_you_mean
from engine.errors import ConfigError, TemplateError

__all__ = [
    "DEFAULT_DATETIME_FORMAT",
    "DEFAULT_TIMEZONE",
    "LABEL_FILE",
    "RESERVED_VARIABLES",
    "CompiledExpression",
    "ExpressionSyntaxError",
    "InlineTemplate",
    "TemplateRenderError",
    "TemplateStore",
    "create_environment",
    "format_datetime",
    "format_money",
    "format_phone",
    "plural_form",
]

DEFAULT_TIMEZONE = "Asia/Tashkent"
DEFAULT_DATETIME_FORMAT = "%d.%m.%Y %H:%M"
LABEL_FILE = "labels.yaml"
TEMPLATE_SUFFIX = ".html"
RESERVED_VARIABLES = frozenset({"_locale", "_timezone"})
"""Context variables set by every render call; never required from the caller's data."""

_PLAIN = "plain:"  # internal names starting with this prefix are compiled without autoescape
_LOCALE_RE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
_SCENARIO_RE = re.compile(r"[\w.-]+")
_LABEL_KEY_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_OPENER_RE = re.compile(r"\{[{%#]")
_UNKNOWN_NAME_RE = re.compile(r"No (filter|test) named '([^']+)'")
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


# ---------------------------------------------------------------------------------------- errors


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


# --------------------------------------------------------------------------------------- filters


def _language(locale: str | None) -> str:
    return re.split(r"[-_]", locale, maxsplit=1)[0].lower() if locale else ""


def _to_decimal(value: Any) -> Decimal:
    """A number as a Decimal without ever going through binary floating point arithmetic."""
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest decimal that round-trips, not the binary value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


_THOUSANDS = {"en": ","}
_DEFAULT_THOUSANDS = "\u202f"  # narrow no-break space: ru, uz and anything else
_CENT = Decimal("0.01")


def format_money(value: Any, locale: str | None = None, currency: str | None = None) -> str:
    """``12000`` -> ``12 000``, ``Decimal("1234.5")`` -> ``1 234.50``, ``-5`` -> ``-5``.

    Accepts Decimal, int, numeric str and float (converted through its shortest repr, never
    through binary arithmetic). Amounts are rounded half-up to cents; whole amounts show no
    decimals, others show exactly two. Thousands are separated by U+202F (narrow no-break space)
    except for English (``,``). ``currency`` is appended after a no-break space (U+00A0).
    Raises ``ValueError``/``TypeError`` for anything that is not a finite number.
    """
    amount = _to_decimal(value)
    with localcontext() as ctx:
        ctx.prec = 50
        ctx.rounding = ROUND_HALF_UP
        try:
            cents = amount.quantize(_CENT)
        except InvalidOperation:
            raise ValueError(f"{value!r} is too large to format as money") from None
    sign = "-" if cents < 0 else ""
    whole, _, fraction = f"{abs(cents):f}".partition(".")
    separator = _THOUSANDS.get(_language(locale), _DEFAULT_THOUSANDS)
    text = f"{sign}{int(whole):,}".replace(",", separator)
    if fraction.strip("0"):
        text = f"{text}.{fraction}"
    return f"{text}\u00a0{currency}" if currency else text


_PHONE_RE = re.compile(r"\+?[\d\s().-]+")


def format_phone(value: Any) -> str:
    """``998901234567`` -> ``+998 90 123 45 67``; other digit strings -> ``+`` and the digits.

    Accepts an int or a string of digits (an optional leading ``+``, spaces, dashes, dots and
    parentheses are ignored). Never raises: ``None`` gives an empty string and anything else that
    is not a phone number is returned unchanged (as text; autoescape still applies in messages).
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return str(value)
    text = str(value).strip()
    if not _PHONE_RE.fullmatch(text):
        return str(value)
    digits = re.sub(r"\D", "", text)
    if not digits:
        return str(value)
    if len(digits) == 12 and digits.startswith("998"):
        return f"+998 {digits[3:5]} {digits[5:8]} {digits[8:10]} {digits[10:]}"
    return f"+{digits}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


_DATE_ONLY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_RE = re.compile(r"-?\d+(?:\.\d+)?")


def format_datetime(
    value: Any, fmt: str = DEFAULT_DATETIME_FORMAT, timezone: str = DEFAULT_TIMEZONE
) -> str:
    """Format a moment in ``timezone`` (an IANA name) with ``strftime`` format ``fmt``.

    ``value`` is a datetime (naive ones are taken as UTC), an ISO 8601 string, or Unix seconds
    (int, float or a string of digits). A ``date`` or a date-only ISO string is a calendar date
    and is formatted as is, without zone conversion. Raises ``ValueError``/``TypeError`` on junk.
    """
    if isinstance(value, bool):
        raise TypeError(f"expected a date/time, got {value!r}")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.strftime(fmt)
    elif isinstance(value, int | float | Decimal):
        moment = datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY_RE.fullmatch(text):
            return date.fromisoformat(text).strftime(fmt)
        if _TIMESTAMP_RE.fullmatch(text):
            moment = datetime.fromtimestamp(float(text), UTC)
        else:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{value!r} is not an ISO date/time") from None
    else:
        raise TypeError(f"expected a date/time, got {type(value).__name__}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(timezone)).strftime(fmt)


def plural_form(count: Any, forms: Sequence[str], locale: str | None) -> str:
    """The form of a word that goes with ``count``; ``forms`` are (one, few, many).

    Russian: 1, 21, 101 -> one; 2-4, 22-24 -> few; 0, 5-20, 11-14, 25 -> many; fractions -> few.
    Uzbek nouns do not change after numerals: always the first form. English and any other
    locale: one for exactly 1, else the second form. A missing form falls back to the last given.
    """
    if not forms:
        raise ValueError("plural needs at least one form")
    number = abs(_to_decimal(count))
    language = _language(locale)
    if language == "uz":
        index = 0
    elif language == "ru":
        with localcontext() as ctx:
            ctx.prec = 50
            if number != number.to_integral_value():
                index = 1
            else:
                last_two = int(number % 100)
                last = last_two % 10
                if last == 1 and last_two != 11:
                    index = 0
                elif 2 <= last <= 4 and not 12 <= last_two <= 14:
                    index = 1
                else:
                    index = 2
    else:
        index = 0 if number == 1 else 1
    return forms[min(index, len(forms) - 1)]


def _context_str(context: Context, key: str) -> str | None:
    value = context.get(key)
    return value if isinstance(value, str) else None


@pass_context
def _money_filter(context: Context, value: Any, currency: str | None = None) -> str:
    return format_money(value, _context_str(context, "_locale"), currency)


@pass_context
def _plural_filter(context: Context, count: Any, *forms: str) -> str:
    return plural_form(count, [str(f) for f in forms], _context_str(context, "_locale"))


@pass_context
def _datetime_filter(
    context: Context, value: Any, fmt: str = DEFAULT_DATETIME_FORMAT, tz: str | None = None
) -> str:
    zone = tz or _context_str(context, "_timezone") or DEFAULT_TIMEZONE
    return format_datetime(value, fmt, zone)


def _phone_filter(value: Any) -> str:
    return format_phone(value)


# ----------------------------------------------------------------------------------- environment


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, plus locale-relative ``{% include %}``/``{% extends %}``/``{% import %}``.

    Internal template names are ``<locale>/<name>``; a reference ``"partials/item"`` made from
    ``ru/main/menu`` is looked up as ``ru/partials/item`` (the loader falls back to the default
    locale).
    """

    def join_path(self, template: str, parent: str) -> str:
        locale = parent.removeprefix(_PLAIN).partition("/")[0]
        return f"{locale}/{template.lstrip('/')}"


class _CompiledLoader(BaseLoader):
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
    return not (name or "").startswith(_PLAIN)


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
    env.filters["money"] = _money_filter
    env.filters["phone"] = _phone_filter
    env.filters["datetime"] = _datetime_filter
    env.filters["plural"] = _plural_filter
    return env


def _compile(env: ImmutableSandboxedEnvironment, ast: nodes.Template, name: str,
             filename: str) -> Template:
    code = env.compile(ast, name, filename)
    return env.template_class.from_code(env, code, env.make_globals(None), None)


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


def _undeclared(ast: nodes.Template) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(ast) - RESERVED_VARIABLES)


def _declared(ast: nodes.Template) -> frozenset[str]:
    names = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    names.update(m.name for m in ast.find_all(nodes.Macro))
    names.update(i.target for i in ast.find_all(nodes.Import))
    for node in ast.find_all(nodes.FromImport):
        names.update(n if isinstance(n, str) else n[1] for n in node.names)
    return frozenset(names)


@dataclass(frozen=True)
class _Ref:
    """A static ``{% include/extends/import "name" %}``."""

    name: str
    line: int
    with_context: bool
    optional: bool


def _references(ast: nodes.Template) -> tuple[_Ref, ...]:
    refs: list[_Ref] = []
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
            refs.append(_Ref(target.value, node.lineno, with_context, optional))
        # a dynamic name cannot be checked statically
    return tuple(refs)


# ---------------------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class _LabelSource:
    key: str
    text: str
    key_line: int
    key_col: int
    first_line: int  # the labels.yaml line holding line 1 of the label's text
    col: int


def _read_labels(path: Path, file: str, out: Diagnostics) -> dict[str, _LabelSource]:
    """Flatten ``labels.yaml`` into dotted keys, reporting what is wrong with line numbers."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        out.error(file, 1, 1, "label-file", f"cannot read {LABEL_FILE}: {exc}")
        return {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        out.error(file, line, col, "label-file", f"invalid YAML: {problem}")
        return {}
    except yaml.YAMLError as exc:
        out.error(file, 1, 1, "label-file", f"invalid YAML: {exc}")
        return {}
    labels: dict[str, _LabelSource] = {}
    if root is None:
        return labels
    if not isinstance(root, yaml.MappingNode):
        mark = root.start_mark
        out.error(file, mark.line + 1, mark.column + 1, "label-file",
                  f"{LABEL_FILE} must map label keys to texts")
        return labels
    _flatten_labels(root, "", labels, file, out)
    return labels


def _flatten_labels(
    node: yaml.MappingNode, prefix: str, labels: dict[str, _LabelSource], file: str,
    out: Diagnostics,
) -> None:
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        if not isinstance(key_node, yaml.ScalarNode):
            out.error(file, line, col, "label-file", "a label key must be a plain string")
            continue
        if key_node.tag == _MERGE_TAG:
            out.error(file, line, col, "label-file", "merge keys ('<<') are not supported")
            continue
        raw = str(key_node.value)  # taken literally: `yes:`/`no:`/`1:` are keys, not bool/int
        key = f"{prefix}.{raw}" if prefix else raw
        if raw in seen:
            out.error(file, line, col, "label-file",
                      f"duplicate label key '{key}' (first defined on line {seen[raw]})")
            continue
        seen[raw] = line
        if not _LABEL_KEY_RE.fullmatch(key):
            out.error(file, line, col, "label-file",
                      f"invalid label key '{key}': use letters, digits, '_' and '-', "
                      "with '.' between parts")
            continue
        if isinstance(value_node, yaml.MappingNode):
            _flatten_labels(value_node, key, labels, file, out)
            continue
        if key in labels:
            out.error(file, line, col, "label-file",
                      f"duplicate label key '{key}' (first defined on line "
                      f"{labels[key].key_line})")
            continue
        if not (isinstance(value_node, yaml.ScalarNode) and value_node.tag == _STR_TAG):
            kind = "a list" if isinstance(value_node, yaml.SequenceNode) else (
                value_node.tag.rpartition(":")[2] or "a non-string value")
            mark = value_node.start_mark
            out.error(file, mark.line + 1, mark.column + 1, "label-file",
                      f"label '{key}' must be a string, not {kind}", "quote the text")
            continue
        mark = value_node.start_mark
        block = value_node.style in ("|", ">")
        labels[key] = _LabelSource(
            key, str(value_node.value), line, col,
            mark.line + (2 if block else 1), mark.column + 1,
        )


# ----------------------------------------------------------------------------------- store parts


@dataclass(frozen=True)
class _Unit:
    """One compiled message template or label of one locale."""

    kind: Literal["template", "label"]
    name: str
    locale: str
    file: str
    first_line: int  # the file line holding line 1 of the Jinja source
    template: Template  # autoescaped
    plain: Template | None  # labels only: the same source without autoescape
    variables: frozenset[str]
    declared: frozenset[str]
    refs: tuple[_Ref, ...]
    key_line: int = 1
    key_col: int = 1


@dataclass
class _Present:
    """What exists on disk for one locale, whether or not it compiled."""

    templates: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)


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
        variables = _context_vars(data, locale or self._locale, timezone, self._timezone)
        try:
            result = self._expression(variables)
            if isinstance(result, Undefined):
                str(result)  # StrictUndefined raises the precise error (undefined or unsafe)
                raise UndefinedError(f"{self.source!r} is undefined")
        except Exception as exc:
            raise TemplateRenderError(
                f"expression {self.source!r}: {_describe(exc)}", name=self.source,
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
        variables = _context_vars(data, locale or self._locale, timezone, self._timezone)
        try:
            return self._template.render(variables).strip()
        except Exception as exc:
            raise TemplateRenderError(
                f"template string {self.source!r}: {_describe(exc)}", name=self.source,
                locale=locale or self._locale,
            ) from exc

    def __repr__(self) -> str:
        return f"InlineTemplate({self.source!r})"


def _context_vars(data: Mapping[str, Any] | None, locale: str, timezone: str | None,
                  default_timezone: str) -> dict[str, Any]:
    """The render context: ``data`` plus ``_locale`` (always the effective locale) and
    ``_timezone`` (the explicit argument, else ``data["_timezone"]``, else the default)."""
    variables = dict(data) if data else {}
    variables["_locale"] = locale
    if timezone is not None or not isinstance(variables.get("_timezone"), str):
        variables["_timezone"] = timezone or default_timezone
    return variables


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return f"unsafe operation blocked: {exc}"
    if isinstance(exc, UndefinedError):
        return str(exc)
    if isinstance(exc, TemplateNotFound):
        return f"template '{exc.name}' not found"
    return f"{type(exc).__name__}: {exc}"


# ----------------------------------------------------------------------------------------- store


class TemplateStore:
    """All message templates and labels of one scenario, compiled once; immutable after load.

    Lookup for ``render``/``render_label`` tries the requested locale (also its language part:
    ``en-US`` -> ``en``), then the default locale. ``has_*``/``*_names``/``label_keys`` describe
    the default locale, which is what every locale can always render.
    """

    def __init__(
        self, *, env: ImmutableSandboxedEnvironment, locales: Sequence[str],
        default_locale: str, timezone: str, messages: Mapping[str, Mapping[str, _Unit]],
        labels: Mapping[str, Mapping[str, _Unit]], present: Mapping[str, _Present],
    ) -> None:
        self._env = env
        self._locales = tuple(locales)
        self._default = default_locale
        self._timezone = timezone
        self._messages = {loc: dict(units) for loc, units in messages.items()}
        self._labels = {loc: dict(units) for loc, units in labels.items()}
        # names that exist on disk, compiled or not (a broken one is reported, not "missing")
        self._present = {loc: present.get(loc, _Present()) for loc in self._locales}
        default_messages = self._messages.get(default_locale, {})
        default_labels = self._labels.get(default_locale, {})
        # per locale: every name it can render (its own units, then the default's)
        self._message_table = {
            loc: {**default_messages, **self._messages.get(loc, {})} for loc in self._locales
        }
        self._label_table = {
            loc: {**default_labels, **self._labels.get(loc, {})} for loc in self._locales
        }
        self._sources: dict[str, _Unit] = {}
        for table in (*self._messages.values(), *self._labels.values()):
            for unit in table.values():
                self._sources[unit.template.filename or ""] = unit

    # ------------------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls, root: Path, scenario: str, locales: Sequence[str], default_locale: str, *,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> tuple[TemplateStore, list[Diagnostic]]:
        """Read and compile ``<root>/<scenario>/<locale>/**/*.html`` and ``labels.yaml``.

        Problems in the files come back as diagnostics (``template-syntax``, ``template-file``,
        ``template-include``, ``label-file``, and the warnings ``label-unknown``,
        ``template-orphan``, ``template-dir``); a bad *argument* (locale or zone name) raises
        :class:`~engine.errors.ConfigError`.
        """
        order = _check_arguments(scenario, locales, default_locale, timezone)
        loader = _CompiledLoader(default_locale)
        env = create_environment(loader)
        out = Diagnostics()
        messages: dict[str, dict[str, _Unit]] = {}
        labels: dict[str, dict[str, _Unit]] = {}
        present: dict[str, _Present] = {}
        for locale in order:
            folder = root / scenario / locale
            messages[locale] = {}
            labels[locale] = {}
            present[locale] = _Present()
            if not folder.is_dir():
                out.warning(str(folder), 1, 1, "template-dir",
                            f"no template folder for locale '{locale}'")
                continue
            for path in sorted(folder.rglob(f"*{TEMPLATE_SUFFIX}")):
                if path.is_file():
                    present[locale].templates.add(_template_name(folder, path))
                    unit = _load_message(env, folder, path, locale, out)
                    if unit is not None:
                        messages[locale][unit.name] = unit
                        loader.templates[unit.template.name or ""] = unit.template
            label_path = folder / LABEL_FILE
            if label_path.is_file():
                file = str(label_path)
                for source in _read_labels(label_path, file, out).values():
                    present[locale].labels.add(source.key)
                    label = _compile_label(env, source, locale, file, out)
                    if label is not None:
                        labels[locale][label.name] = label
        _check_locales(messages, labels, present[default_locale], default_locale, out)
        store = cls(env=env, locales=order, default_locale=default_locale, timezone=timezone,
                    messages=messages, labels=labels, present=present)
        store._check_references(out)
        return store, out.sorted()

    def _check_references(self, out: Diagnostics) -> None:
        for units in self._messages.values():
            for unit in units.values():
                for ref in unit.refs:
                    exists = (ref.name in self._present[unit.locale].templates
                              or ref.name in self._present[self._default].templates)
                    if not ref.optional and not exists:
                        known = self._message_table[unit.locale]
                        out.error(unit.file, ref.line, 1, "template-include",
                                  f"template '{ref.name}' not found{did_you_mean(ref.name, known)}")

    def _resolve(self, locale: str, name: str) -> _Unit | None:
        return self._message_table.get(locale, self._message_table[self._default]).get(name)

    # ----------------------------------------------------------------------------- queries

    @property
    def locales(self) -> tuple[str, ...]:
        """The configured locales, default first."""
        return self._locales

    @property
    def default_locale(self) -> str:
        return self._default

    @property
    def environment(self) -> ImmutableSandboxedEnvironment:
        """The shared sandboxed environment, for introspection (parsing, ``meta``).

        Prefer :meth:`compile_expression` and :meth:`compile_inline` to compiling through it:
        ``from_string`` autoescapes (its name is ``None``), which is wrong for URLs and action
        arguments, and it does not inject ``_locale``/``_timezone``.
        """
        return self._env

    def has_template(self, name: str) -> bool:
        """Whether message template ``name`` exists in the default locale (a template with a
        syntax error exists too: it was reported as ``template-syntax``)."""
        return name in self._present[self._default].templates

    def has_label(self, key: str) -> bool:
        """Whether label ``key`` exists in the default locale."""
        return key in self._present[self._default].labels

    def template_names(self) -> list[str]:
        """The message templates of the default locale, sorted."""
        return sorted(self._present[self._default].templates)

    def label_keys(self) -> list[str]:
        """The label keys of the default locale, sorted."""
        return sorted(self._present[self._default].labels)

    def missing_translations(self) -> dict[str, list[str]]:
        """Per non-default locale, what falls back to the default locale: template names, and
        label keys written as ``label:<key>``. Locales missing nothing are left out."""
        report: dict[str, list[str]] = {}
        default = self._present[self._default]
        for locale in self._locales[1:]:
            own = self._present[locale]
            missing = [n for n in default.templates if n not in own.templates]
            missing += [f"label:{k}" for k in default.labels if k not in own.labels]
            if missing:
                report[locale] = sorted(missing)
        return report

    def variables_of_template(self, name: str) -> set[str]:
        """Top-level names a message template reads from its data, over all locales, including
        what its static ``{% include %}``/``{% extends %}`` targets read (minus names the
        including template defines itself). Excludes globals and ``_locale``/``_timezone``."""
        if not self.has_template(name):
            raise self._unknown("template", name, self.template_names())
        found: set[str] = set()
        for locale in self._locales:
            unit = self._messages[locale].get(name)
            if unit is not None:
                found |= self._unit_variables(unit, set())
        return found - set(self._env.globals)

    def variables_of_label(self, key: str) -> set[str]:
        """Top-level names a label reads from its data, over all locales."""
        if not self.has_label(key):
            raise self._unknown("label", key, self.label_keys())
        found: set[str] = set()
        for locale in self._locales:
            unit = self._labels[locale].get(key)
            if unit is not None:
                found |= unit.variables
        return found - set(self._env.globals)

    def _unit_variables(self, unit: _Unit, seen: set[tuple[str, str]]) -> set[str]:
        if (unit.locale, unit.name) in seen:
            return set()
        seen.add((unit.locale, unit.name))
        found = set(unit.variables)
        for ref in unit.refs:
            target = self._resolve(unit.locale, ref.name)
            if ref.with_context and target is not None:
                found |= self._unit_variables(target, seen) - unit.declared
        return found

    # ---------------------------------------------------------------------------- rendering

    def render(self, name: str, locale: str | None, data: Mapping[str, Any] | None = None, *,
               timezone: str | None = None) -> str:
        """Render message template ``name`` to Telegram HTML (data escaped, trailing
        whitespace removed). The ``datetime`` filter's zone is ``timezone``, else
        ``data["_timezone"]``, else the store's default (``Asia/Tashkent``).

        Raises :class:`~engine.errors.TemplateError` for an unknown name and
        :class:`TemplateRenderError` (a ``TemplateError``) when rendering fails."""
        effective = self._effective_locale(locale)
        unit = self._message_table[effective].get(name)
        if unit is None:
            raise self._unknown("template", name, self.template_names(), effective)
        variables = _context_vars(data, effective, timezone, self._timezone)
        try:
            return unit.template.render(variables).rstrip()
        except Exception as exc:
            raise self._failure(unit, effective, exc) from exc

    @overload
    def render_label(self, key: str, locale: str | None, data: Mapping[str, Any] | None = None,
                     *, escape: Literal[False] = False, timezone: str | None = None) -> str: ...

    @overload
    def render_label(self, key: str, locale: str | None, data: Mapping[str, Any] | None = None,
                     *, escape: Literal[True], timezone: str | None = None) -> Markup: ...

    @overload
    def render_label(self, key: str, locale: str | None, data: Mapping[str, Any] | None = None,
                     *, escape: bool, timezone: str | None = None) -> str: ...

    def render_label(self, key: str, locale: str | None, data: Mapping[str, Any] | None = None,
                     *, escape: bool = False, timezone: str | None = None) -> str:
        """Render label ``key``; trailing whitespace is removed.

        ``escape=False`` (default): plain text for places Telegram shows verbatim (button texts,
        callback answers, alerts); interpolated values are inserted as they are.
        ``escape=True``: HTML for use inside a message: interpolated values are escaped and the
        result is a :class:`~markupsafe.Markup`, which message templates do not escape again.
        The label's own text is taken as written in both modes.
        """
        effective = self._effective_locale(locale)
        unit = self._label_table[effective].get(key)
        if unit is None:
            raise self._unknown("label", key, self.label_keys(), effective)
        template = unit.template if escape or unit.plain is None else unit.plain
        variables = _context_vars(data, effective, timezone, self._timezone)
        try:
            text = template.render(variables).rstrip()
        except Exception as exc:
            raise self._failure(unit, effective, exc) from exc
        return Markup(text) if escape else text

    def compile_expression(self, source: str) -> CompiledExpression:
        """Compile a Jinja expression (no ``{{ }}``) once; raises :class:`ExpressionSyntaxError`."""
        try:
            parser = Parser(self._env, source, state="variable")
            expr = parser.parse_expression()
            if not parser.stream.eos:
                current = parser.stream.current
                raise TemplateSyntaxError(
                    f"unexpected '{current.value}' after the expression", current.lineno)
            assign = nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)
            ast = nodes.Template([assign], lineno=1)
            ast.set_environment(self._env)
            variables = _undeclared(ast) - set(self._env.globals)
            template = _compile(self._env, ast, f"{_PLAIN}<expression>", "<expression>")
        except TemplateSyntaxError as exc:
            raise ExpressionSyntaxError(source, exc.message or str(exc), exc.lineno) from None
        return CompiledExpression(source, TemplateExpression(template, False),
                                  variables, self._default, self._timezone)

    def compile_inline(self, source: str) -> InlineTemplate:
        """Compile a template string (``"{{ a }}/{{ b }}"``) to plain text; raises
        :class:`ExpressionSyntaxError` when it does not parse."""
        name = f"{_PLAIN}<inline>"
        try:
            ast = self._env.parse(source, name, "<inline>")
            variables = _undeclared(ast) - set(self._env.globals)
            template = _compile(self._env, ast, name, "<inline>")
        except TemplateSyntaxError as exc:
            raise ExpressionSyntaxError(source, exc.message or str(exc), exc.lineno) from None
        return InlineTemplate(source, template, variables, self._default, self._timezone)

    # ------------------------------------------------------------------------------ helpers

    def _effective_locale(self, locale: str | None) -> str:
        if locale in self._message_table:
            return locale
        language = _language(locale)
        return language if language in self._message_table else self._default

    def _unknown(self, kind: str, name: str, known: Iterable[str],
                 locale: str | None = None) -> TemplateError:
        if locale is not None:
            present = self._present[locale]
            if name in (present.templates if kind == "template" else present.labels):
                return TemplateError(
                    f"{kind} '{name}' (locale {locale}) did not compile; see the diagnostics")
        return TemplateError(f"unknown {kind} '{name}'{did_you_mean(name, known)}")

    def _failure(self, unit: _Unit, locale: str, exc: BaseException) -> TemplateRenderError:
        where = ""
        file: str | None = None
        line: int | None = None
        tb = exc.__traceback__
        while tb is not None:  # the innermost frame that belongs to one of our templates
            source = self._sources.get(tb.tb_frame.f_code.co_filename)
            if source is not None:
                file, line = source.file, source.first_line + tb.tb_lineno - 1
            tb = tb.tb_next
        if file is not None:
            where = f" at {file}:{line}"
        message = f"{unit.kind} '{unit.name}' (locale {locale}){where}: {_describe(exc)}"
        return TemplateRenderError(message, name=unit.name, locale=locale, file=file, line=line)


def _check_arguments(scenario: str, locales: Sequence[str], default_locale: str,
                     timezone: str) -> tuple[str, ...]:
    if not _SCENARIO_RE.fullmatch(scenario) or scenario in (".", ".."):
        raise ConfigError(f"invalid scenario id {scenario!r} for a template folder")
    order = tuple(dict.fromkeys([default_locale, *locales]))
    for locale in order:
        if not _LOCALE_RE.fullmatch(locale):
            raise ConfigError(f"invalid locale {locale!r}: expected a code like 'ru' or 'en-US'")
    if default_locale not in locales:
        raise ConfigError(
            f"default locale '{default_locale}' is not among the locales {list(locales)}")
    try:
        _zone(timezone)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return order


def _syntax_diagnostic(env: ImmutableSandboxedEnvironment, exc: TemplateSyntaxError, file: str,
                       lines: Sequence[str], first_line: int, fallback_col: int,
                       out: Diagnostics) -> None:
    line = first_line + max(exc.lineno, 1) - 1
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    col = _guess_column(env, text) if _OPENER_RE.search(text) else fallback_col
    message = exc.message or "syntax error"
    out.error(file, line, col, "template-syntax", message, _syntax_hint(env, message))


def _template_name(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix().removesuffix(TEMPLATE_SUFFIX)


def _load_message(env: ImmutableSandboxedEnvironment, folder: Path, path: Path, locale: str,
                  out: Diagnostics) -> _Unit | None:
    file = str(path)
    name = _template_name(folder, path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        out.error(file, 1, 1, "template-file", f"cannot read template: {exc}")
        return None
    internal = f"{locale}/{name}"
    try:
        ast = env.parse(source, internal, file)
        variables, declared, refs = _undeclared(ast), _declared(ast), _references(ast)
        template = _compile(env, ast, internal, file)
    except TemplateSyntaxError as exc:
        _syntax_diagnostic(env, exc, file, source.splitlines(), 1, 1, out)
        return None
    return _Unit("template", name, locale, file, 1, template, None, variables, declared, refs)


def _compile_label(env: ImmutableSandboxedEnvironment, source: _LabelSource, locale: str,
                   file: str, out: Diagnostics) -> _Unit | None:
    filename = f"{file}#{source.key}"
    internal = f"{locale}/label:{source.key}"
    try:
        ast = env.parse(source.text, internal, filename)
        variables = _undeclared(ast)
        template = _compile(env, ast, internal, filename)
        plain = _compile(env, env.parse(source.text, _PLAIN + internal, filename),
                         _PLAIN + internal, filename)
    except TemplateSyntaxError as exc:
        try:
            lines = Path(file).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        _syntax_diagnostic(env, exc, file, lines, source.first_line, source.col, out)
        return None
    return _Unit("label", source.key, locale, file, source.first_line, template, plain,
                 variables, frozenset(), (), source.key_line, source.key_col)


def _check_locales(messages: Mapping[str, Mapping[str, _Unit]],
                   labels: Mapping[str, Mapping[str, _Unit]], default: _Present,
                   default_locale: str, out: Diagnostics) -> None:
    for locale, units in messages.items():
        for name, unit in units.items():
            if locale != default_locale and name not in default.templates:
                out.warning(unit.file, 1, 1, "template-orphan",
                            f"template '{name}' exists in locale '{locale}' but not in the "
                            f"default locale '{default_locale}'"
                            f"{did_you_mean(name, default.templates)}")
    for locale, units in labels.items():
        for key, unit in units.items():
            if locale != default_locale and key not in default.labels:
                out.warning(unit.file, unit.key_line, unit.key_col, "label-unknown",
                            f"label '{key}' exists in locale '{locale}' but not in the "
                            f"default locale '{default_locale}'{did_you_mean(key, default.labels)}")
