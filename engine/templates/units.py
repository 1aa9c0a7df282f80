"""The compiled units of a template folder: one per message template and per label.

:func:`load_message` and :func:`compile_label` parse and compile one source each, recording what
it reads, defines and includes; problems become diagnostics. :func:`check_locales` warns about
what exists only in a non-default locale. :func:`check_arguments` validates a store's arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from jinja2 import Template
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.diagnostics import Diagnostics, did_you_mean
from engine.errors import ConfigError
from engine.templates.analysis import (
    Ref,
    names_defined,
    references,
    syntax_diagnostic,
    undeclared,
)
from engine.templates.cache import CachedUnit, CompileCache
from engine.templates.environment import PLAIN, compile_code, from_code
from engine.templates.filters import zone_named
from engine.templates.labels import LabelSource

__all__ = [
    "TEMPLATE_SUFFIX",
    "Present",
    "Unit",
    "check_arguments",
    "check_locales",
    "compile_label",
    "load_message",
    "template_name",
]

TEMPLATE_SUFFIX = ".html"
_LOCALE_RE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
_SCENARIO_RE = re.compile(r"[\w.-]+")


@dataclass(frozen=True)
class Unit:
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
    refs: tuple[Ref, ...]
    key_line: int = 1
    key_col: int = 1
    #: a label with no Jinja syntax at all: its text, rendered without running a template
    text: str | None = None


@dataclass
class Present:
    """What exists on disk for one locale, whether or not it compiled."""

    templates: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)


def check_arguments(scenario: str, locales: Sequence[str], default_locale: str,
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
        zone_named(timezone)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return order


def template_name(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix().removesuffix(TEMPLATE_SUFFIX)


def load_message(env: ImmutableSandboxedEnvironment, folder: Path, path: Path, locale: str,
                 out: Diagnostics, cache: CompileCache | None = None) -> Unit | None:
    file = str(path)
    name = template_name(folder, path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        out.error(file, 1, 1, "template-file", f"cannot read template: {exc}")
        return None
    internal = f"{locale}/{name}"
    key = ("template", internal, file, source)
    found = cache.get(key) if cache is not None else None
    if found is None:
        try:
            ast = env.parse(source, internal, file)
            variables, declared, refs = undeclared(ast), names_defined(ast), references(ast)
            found = CachedUnit(compile_code(env, ast, internal, file), None, variables,
                               declared, refs)
        except TemplateSyntaxError as exc:
            syntax_diagnostic(env, exc, file, source.splitlines(), 1, 1, out)
            return None
        if cache is not None:
            cache.put(key, found)
    return Unit("template", name, locale, file, 1, from_code(env, found.code), None,
                found.variables, found.declared, found.refs)


def compile_label(env: ImmutableSandboxedEnvironment, source: LabelSource, locale: str,
                  file: str, lines: Sequence[str], out: Diagnostics,
                  cache: CompileCache | None = None) -> Unit | None:
    """Compile one label twice: autoescaped (for HTML messages) and plain (for buttons)."""
    filename = f"{file}#{source.key}"
    internal = f"{locale}/label:{source.key}"
    key = ("label", internal, filename, source.text)
    found = cache.get(key) if cache is not None else None
    if found is None:
        try:
            ast = env.parse(source.text, internal, filename)
            variables = undeclared(ast)
            code = compile_code(env, ast, internal, filename)
            plain = compile_code(env, env.parse(source.text, PLAIN + internal, filename),
                                 PLAIN + internal, filename)
        except TemplateSyntaxError as exc:
            syntax_diagnostic(env, exc, file, lines, source.first_line, source.col, out)
            return None
        found = CachedUnit(code, plain, variables, frozenset(), ())
        if cache is not None:
            cache.put(key, found)
    assert found.plain is not None
    static = None if any(mark in source.text for mark in ("{{", "{%", "{#")) \
        else source.text.rstrip()
    return Unit("label", source.key, locale, file, source.first_line, from_code(env, found.code),
                from_code(env, found.plain), found.variables, frozenset(), (),
                source.key_line, source.key_col, static)


def check_locales(messages: Mapping[str, Mapping[str, Unit]],
                  labels: Mapping[str, Mapping[str, Unit]], default: Present,
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
