"""The template store: every message template and label of one scenario, compiled once.

Layout on disk (``<root>/<scenario>/<locale>/``)::

    templates/shop/ru/main/menu.html     message template "main/menu" (Telegram HTML)
    templates/shop/ru/labels.yaml        labels: key -> short Jinja string (buttons, toasts)

:meth:`TemplateStore.load` reads and compiles everything and reports problems as
:class:`~engine.diagnostics.Diagnostic` values instead of raising; rendering only runs the compiled
code. The escaping rules are described in :mod:`engine.templates`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from engine.diagnostics import Diagnostic, Diagnostics, did_you_mean
from engine.errors import TemplateError
from engine.settings import DEFAULT_TIMEZONE
from engine.templates.cache import CompileCache
from engine.templates.environment import (
    CompiledLoader,
    TemplateRenderError,
    context_vars,
    create_environment,
    describe,
)
from engine.templates.expressions import (
    CompiledExpression,
    InlineTemplate,
    compile_expression,
    compile_inline,
)
from engine.templates.filters import language_of
from engine.templates.labels import LABEL_FILE, read_labels
from engine.templates.units import (
    TEMPLATE_SUFFIX,
    Present,
    Unit,
    check_arguments,
    check_locales,
    compile_label,
    load_message,
    template_name,
)

__all__ = ["TemplateStore"]


class TemplateStore:
    """All message templates and labels of one scenario, compiled once; immutable after load.

    Lookup for ``render``/``render_label`` tries the requested locale (also its language part:
    ``en-US`` -> ``en``), then the default locale. ``has_*``/``*_names``/``label_keys`` describe
    the default locale, which is what every locale can always render.
    """

    def __init__(
        self, *, env: ImmutableSandboxedEnvironment, locales: Sequence[str],
        default_locale: str, timezone: str, messages: Mapping[str, Mapping[str, Unit]],
        labels: Mapping[str, Mapping[str, Unit]], present: Mapping[str, Present],
    ) -> None:
        self._env = env
        self._locales = tuple(locales)
        self._default = default_locale
        self._timezone = timezone
        self._messages = {loc: dict(units) for loc, units in messages.items()}
        self._labels = {loc: dict(units) for loc, units in labels.items()}
        # names that exist on disk, compiled or not (a broken one is reported, not "missing")
        self._present = {loc: present.get(loc, Present()) for loc in self._locales}
        default_messages = self._messages.get(default_locale, {})
        default_labels = self._labels.get(default_locale, {})
        # per locale: every name it can render (its own units, then the default's)
        self._message_table = {
            loc: {**default_messages, **self._messages.get(loc, {})} for loc in self._locales
        }
        self._label_table = {
            loc: {**default_labels, **self._labels.get(loc, {})} for loc in self._locales
        }
        self._sources: dict[str, Unit] = {}
        for table in (*self._messages.values(), *self._labels.values()):
            for unit in table.values():
                self._sources[unit.template.filename or ""] = unit

    # ------------------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls, root: Path, scenario: str, locales: Sequence[str], default_locale: str, *,
        timezone: str = DEFAULT_TIMEZONE, cache: CompileCache | None = None,
    ) -> tuple[TemplateStore, list[Diagnostic]]:
        """Read and compile ``<root>/<scenario>/<locale>/**/*.html`` and ``labels.yaml``
        (``cache``: compiled code of earlier loads, reused for unchanged sources).

        Problems in the files come back as diagnostics (``template-syntax``, ``template-file``,
        ``template-include``, ``label-file``, and the warnings ``label-unknown``,
        ``template-orphan``, ``template-dir``); a bad *argument* (locale or zone name) raises
        :class:`~engine.errors.ConfigError`.
        """
        order = check_arguments(scenario, locales, default_locale, timezone)
        loader = CompiledLoader(default_locale)
        env = create_environment(loader)
        out = Diagnostics()
        messages: dict[str, dict[str, Unit]] = {}
        labels: dict[str, dict[str, Unit]] = {}
        present: dict[str, Present] = {}
        for locale in order:
            folder = root / scenario / locale
            messages[locale] = {}
            labels[locale] = {}
            present[locale] = Present()
            if not folder.is_dir():
                out.warning(str(folder), 1, 1, "template-dir",
                            f"no template folder for locale '{locale}'")
                continue
            for path in sorted(folder.rglob(f"*{TEMPLATE_SUFFIX}")):
                if path.is_file():
                    present[locale].templates.add(template_name(folder, path))
                    unit = load_message(env, folder, path, locale, out, cache)
                    if unit is not None:
                        messages[locale][unit.name] = unit
                        loader.templates[unit.template.name or ""] = unit.template
            label_path = folder / LABEL_FILE
            if label_path.is_file():
                file = str(label_path)
                sources, lines = read_labels(label_path, file, out)
                for source in sources.values():
                    present[locale].labels.add(source.key)
                    label = compile_label(env, source, locale, file, lines, out, cache)
                    if label is not None:
                        labels[locale][label.name] = label
        check_locales(messages, labels, present[default_locale], default_locale, out)
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

    def _resolve(self, locale: str, name: str) -> Unit | None:
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

    def own_names(self, locale: str) -> tuple[set[str], set[str]]:
        """The template names and label keys ``locale`` has files for (not what it falls back
        to)."""
        present = self._present[locale]
        return set(present.templates), set(present.labels)

    def own_variables(self, locale: str, name: str, *, label: bool = False) -> set[str] | None:
        """What ``locale``'s own copy of template (or label) ``name`` reads, includes followed;
        None when that locale has no compiled copy of its own."""
        unit = (self._labels if label else self._messages).get(locale, {}).get(name)
        if unit is None:
            return None
        found = set(unit.variables) if label else self._unit_variables(unit, set())
        return found - set(self._env.globals)

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

    def _unit_variables(self, unit: Unit, seen: set[tuple[str, str]]) -> set[str]:
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
        ``data["_timezone"]``, else the store's default (the scenario's ``TIMEZONE``,
        else :data:`~engine.settings.DEFAULT_TIMEZONE`).

        Raises :class:`~engine.errors.TemplateError` for an unknown name and
        :class:`TemplateRenderError` (a ``TemplateError``) when rendering fails."""
        effective = self._effective_locale(locale)
        unit = self._message_table[effective].get(name)
        if unit is None:
            raise self._unknown("template", name, self.template_names(), effective)
        variables = context_vars(data, effective, timezone, self._timezone)
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
        if unit.text is not None:  # no Jinja in it: nothing to render
            return Markup(unit.text) if escape else unit.text
        template = unit.template if escape or unit.plain is None else unit.plain
        variables = context_vars(data, effective, timezone, self._timezone)
        try:
            text = template.render(variables).rstrip()
        except Exception as exc:
            raise self._failure(unit, effective, exc) from exc
        return Markup(text) if escape else text

    def compile_expression(self, source: str) -> CompiledExpression:
        """Compile a Jinja expression (no ``{{ }}``) once; raises
        :class:`~engine.templates.environment.ExpressionSyntaxError`."""
        return compile_expression(self._env, source, self._default, self._timezone)

    def compile_inline(self, source: str) -> InlineTemplate:
        """Compile a template string (``"{{ a }}/{{ b }}"``) to plain text; raises
        :class:`~engine.templates.environment.ExpressionSyntaxError` when it does not parse."""
        return compile_inline(self._env, source, self._default, self._timezone)

    # ------------------------------------------------------------------------------ helpers

    def _effective_locale(self, locale: str | None) -> str:
        if locale in self._message_table:
            return locale
        language = language_of(locale)
        return language if language in self._message_table else self._default

    def _unknown(self, kind: str, name: str, known: Iterable[str],
                 locale: str | None = None) -> TemplateError:
        if locale is not None:
            present = self._present[locale]
            if name in (present.templates if kind == "template" else present.labels):
                return TemplateError(
                    f"{kind} '{name}' (locale {locale}) did not compile; see the diagnostics")
        return TemplateError(f"unknown {kind} '{name}'{did_you_mean(name, known)}")

    def _failure(self, unit: Unit, locale: str, exc: BaseException) -> TemplateRenderError:
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
        message = f"{unit.kind} '{unit.name}' (locale {locale}){where}: {describe(exc)}"
        return TemplateRenderError(message, name=unit.name, locale=locale, file=file, line=line)

