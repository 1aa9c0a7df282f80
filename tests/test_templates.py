"""Specification of engine.templates: the one sandboxed Jinja environment of the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from engine.diagnostics import Diagnostic, Severity
from engine.errors import ConfigError, TemplateError
from engine.scenario.loader import load_yaml
from engine.templates import (
    ExpressionSyntaxError,
    TemplateRenderError,
    TemplateStore,
    format_money,
    format_phone,
    plural_form,
)

NNBSP = "\u202f"  # narrow no-break space: the ru/uz thousands separator
NBSP = "\u00a0"  # between an amount and its currency

Files = dict[str, str]
Loader = Callable[..., tuple[TemplateStore, list[Diagnostic]]]


@pytest.fixture
def load(tmp_path: Path) -> Loader:
    """Write ``{"ru/main/menu.html": "...", ...}`` under templates/shop/ and load the store."""

    def _load(files: Files, locales: tuple[str, ...] = ("ru", "uz", "en"),
              default: str = "ru") -> tuple[TemplateStore, list[Diagnostic]]:
        for rel, text in files.items():
            path = tmp_path / "templates" / "shop" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for locale in locales:
            (tmp_path / "templates" / "shop" / locale).mkdir(parents=True, exist_ok=True)
        return TemplateStore.load(tmp_path / "templates", "shop", list(locales), default)

    return _load


@pytest.fixture
def store_of(load: Loader) -> Callable[[Files], TemplateStore]:
    """Like ``load`` but the files must be free of problems."""

    def _store(files: Files) -> TemplateStore:
        store, diagnostics = load(files)
        assert diagnostics == []
        return store

    return _store


# ------------------------------------------------------------------------------------- sandbox


def _a_function() -> None:
    """A plain Python function handed to a template (it has __globals__ and __code__)."""


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ fn.__globals__ }}",
        "{{ fn.__code__ }}",
        "{{ '{0.__class__}'.format(fn) }}",
        "{{ items.append(1) }}",
        "{{ mapping.clear() }}",
        "{{ (fn|attr('__globals__')) }}",
    ],
)
def test_sandbox_blocks_escapes_and_mutation(store_of: Callable[[Files], TemplateStore],
                                             source: str) -> None:
    store = store_of({"ru/t.html": source})
    items: list[int] = []
    mapping = {"a": 1}
    with pytest.raises(TemplateError, match="unsafe operation blocked"):
        store.render("t", "ru", {"fn": _a_function, "items": items, "mapping": mapping})
    assert items == []
    assert mapping == {"a": 1}


def test_sandbox_never_executes_a_globals_escape(store_of: Callable[[Files], TemplateStore],
                                                 tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    store = store_of({"ru/t.html":
                      "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"})
    with pytest.raises(TemplateError):
        store.render("t", "ru", {})
    assert not marker.exists()


@pytest.mark.parametrize("name", ["cycler", "joiner", "lipsum", "namespace", "range", "dict"])
def test_environment_exposes_no_globals(store_of: Callable[[Files], TemplateStore],
                                        name: str) -> None:
    store = store_of({"ru/t.html": f"{{{{ {name} }}}}"})
    with pytest.raises(TemplateError, match=f"'{name}' is undefined"):
        store.render("t", "ru", {})


def test_sandbox_errors_are_template_errors(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "{{ ''.__class__ }}"})
    with pytest.raises(TemplateError) as caught:
        store.render("t", "ru")
    assert isinstance(caught.value.__cause__, jinja2.exceptions.SecurityError)


# ---------------------------------------------------------------------------------- escaping


def test_message_escapes_html_in_data_but_not_its_own_markup(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "<b>Hi</b>, {{ name }}"})
    assert store.render("t", "ru", {"name": "<b>Tom & \"Jerry\" 'x'</b>"}) == (
        "<b>Hi</b>, &lt;b&gt;Tom &amp; &#34;Jerry&#34; &#39;x&#39;&lt;/b&gt;"
    )


def test_message_strips_trailing_whitespace_and_block_lines(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "A\n{% if yes %}\n  B\n{% endif %}\nC   \n\n\n"})
    assert store.render("t", "ru", {"yes": True}) == "A\n  B\nC"


def test_label_renders_plain_text_for_buttons_by_default(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/labels.yaml": 'cart: "Cart & co ({{ n }})"\n'})
    text = store.render_label("cart", "ru", {"n": "<3>"})
    assert text == "Cart & co (<3>)"
    assert not isinstance(text, Markup)


def test_label_with_escape_renders_markup_that_a_message_keeps_as_is(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({
        "ru/labels.yaml": 'greeting: "<i>Hello</i>, {{ name }}"\n',
        "ru/t.html": "{{ greeting }} / {{ raw }}",
    })
    html = store.render_label("greeting", "ru", {"name": "<Tom>"}, escape=True)
    assert html == Markup("<i>Hello</i>, &lt;Tom&gt;")
    assert isinstance(html, Markup)
    plain = store.render_label("greeting", "ru", {"name": "<Tom>"})
    assert store.render("t", "ru", {"greeting": html, "raw": plain}) == (
        "<i>Hello</i>, &lt;Tom&gt; / &lt;i&gt;Hello&lt;/i&gt;, &lt;Tom&gt;"
    )


def test_a_label_without_jinja_renders_exactly_as_a_template_would(
        store_of: Callable[[Files], TemplateStore]) -> None:
    """Plain labels skip the template engine (most button texts); the result must not differ."""
    store = store_of({"ru/labels.yaml": 'plain: "<b>Cart</b> & {co} 100%   \n"\n'
                                        'dynamic: "<b>Cart</b> & {co} {{ n }}%"\n'})
    text = store.render_label("plain", "ru", {"n": 1})
    assert text == "<b>Cart</b> & {co} 100%"
    assert not isinstance(text, Markup)
    html = store.render_label("plain", "ru", escape=True)
    assert html == Markup("<b>Cart</b> & {co} 100%")
    assert isinstance(html, Markup)
    assert store.render_label("dynamic", "ru", {"n": 100}) == "<b>Cart</b> & {co} 100%"
    assert store.render_label("dynamic", "ru", {"n": 100}, escape=True) == html


# ------------------------------------------------------------------------------ render errors


def test_missing_variable_names_the_variable_template_locale_and_line(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/main/menu.html": "<b>Menu</b>\n\nHello, {{ user_name }}!"})
    with pytest.raises(TemplateRenderError) as caught:
        store.render("main/menu", "ru", {})
    message = str(caught.value)
    assert "'user_name' is undefined" in message
    assert "template 'main/menu' (locale ru)" in message
    assert message.split(": ")[0].endswith("menu.html:3")
    assert caught.value.line == 3


def test_missing_attribute_is_an_error_too(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "{{ user.name }}"})
    with pytest.raises(TemplateRenderError, match="has no attribute 'name'"):
        store.render("t", "ru", {"user": {}})


def test_a_failing_filter_names_the_template_and_line(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "Total:\n{{ total|money }}"})
    with pytest.raises(TemplateRenderError, match=r"t\.html:2: ValueError: 'abc' is not a number"):
        store.render("t", "ru", {"total": "abc"})


def test_an_error_inside_a_label_points_into_labels_yaml(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/labels.yaml": "a: x\nlong: |\n  first\n  {{ missing }}\n"})
    with pytest.raises(TemplateRenderError) as caught:
        store.render_label("long", "ru", {})
    assert caught.value.line == 4
    assert "label 'long' (locale ru)" in str(caught.value)


def test_an_error_in_an_included_template_points_at_the_partial(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "head\n{% include 'parts/row' %}",
                      "ru/parts/row.html": "{{ x }}"})
    with pytest.raises(TemplateRenderError) as caught:
        store.render("t", "ru", {})
    assert caught.value.file is not None
    assert caught.value.file.endswith("row.html")


# ----------------------------------------------------------------------------------- locales


def test_render_uses_the_requested_locale(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "Привет", "uz/t.html": "Salom"})
    assert store.render("t", "uz", {}) == "Salom"


def test_render_falls_back_to_the_default_locale(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "Привет", "ru/labels.yaml": "ok: Хорошо\nno: Нет\n",
                      "uz/labels.yaml": "no: Yo'q\n"})
    assert store.render("t", "uz", {}) == "Привет"
    assert store.render_label("ok", "uz", {}) == "Хорошо"
    assert store.render_label("no", "uz", {}) == "Yo'q"


@pytest.mark.parametrize(
    ("requested", "used"),
    [("en-US", "Hello"), ("uz_UZ", "Salom"), ("de", "Привет"), (None, "Привет")],
)
def test_unknown_locales_use_their_language_or_the_default(
        store_of: Callable[[Files], TemplateStore], requested: str | None, used: str) -> None:
    store = store_of({"ru/t.html": "Привет", "uz/t.html": "Salom", "en/t.html": "Hello"})
    assert store.render("t", requested, {}) == used


def test_missing_translations_are_reported(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({
        "ru/a.html": "a", "ru/b.html": "b", "ru/labels.yaml": "x: X\ny: Y\n",
        "uz/a.html": "a", "uz/b.html": "b", "uz/labels.yaml": "x: X\ny: Y\n",
        "en/a.html": "a", "en/labels.yaml": "x: X\n",
    })
    assert store.missing_translations() == {"en": ["b", "label:y"]}


def test_a_template_only_in_another_locale_is_an_orphan(load: Loader) -> None:
    _store, diagnostics = load({"ru/a.html": "a", "uz/menu.html": "m"})
    assert [(d.code, d.severity, Path(d.file).name, d.line) for d in diagnostics] == [
        ("template-orphan", Severity.WARNING, "menu.html", 1)]


def test_a_label_only_in_another_locale_is_unknown(load: Loader) -> None:
    _store, diagnostics = load({"ru/labels.yaml": "a: A\n", "uz/labels.yaml": "a: A\nb: B\n"})
    assert [(d.code, d.severity, d.line, d.col) for d in diagnostics] == [
        ("label-unknown", Severity.WARNING, 2, 1)]


def test_a_missing_locale_folder_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "shop" / "ru").mkdir(parents=True)
    _store, diagnostics = TemplateStore.load(tmp_path, "shop", ["ru", "uz"], "ru")
    assert [(d.code, Path(d.file).name) for d in diagnostics] == [("template-dir", "uz")]


def test_the_default_locale_must_be_configured(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="default locale 'kk'"):
        TemplateStore.load(tmp_path, "shop", ["ru", "uz"], "kk")


def test_includes_resolve_in_the_same_locale_then_the_default(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({
        "ru/t.html": "[{% include 'p/head' %}|{% include 'p/foot' %}]",
        "ru/p/head.html": "шапка", "ru/p/foot.html": "подвал",
        "uz/t.html": "<{% include 'p/head' %}|{% include 'p/foot' %}>",
        "uz/p/head.html": "sarlavha",
    })
    assert store.render("t", "uz", {}) == "<sarlavha|подвал>"


def test_extends_works_between_compiled_templates(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({
        "ru/base.html": "<b>{% block title %}{% endblock %}</b>\n{% block body %}{% endblock %}",
        "ru/page.html": "{% extends 'base' %}{% block title %}T{% endblock %}"
                        "{% block body %}{{ text }}{% endblock %}",
    })
    assert store.render("page", "ru", {"text": "<x>"}) == "<b>T</b>\n&lt;x&gt;"


# ---------------------------------------------------------------------------- diagnostics


def test_a_syntax_error_is_reported_at_its_file_line_and_column(load: Loader) -> None:
    source = "<b>Menu</b>\n{{ ok }}\nTotal: {{ total | }}\n"
    store, diagnostics = load({"ru/main/menu.html": source})
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert (d.code, d.severity, d.line, d.col) == ("template-syntax", Severity.ERROR, 3, 8)
    assert d.file.endswith("templates/shop/ru/main/menu.html")
    assert store.has_template("main/menu")  # it exists; it is broken, not missing


def test_a_syntax_error_in_a_label_points_into_labels_yaml(load: Loader) -> None:
    _store, diagnostics = load({"ru/labels.yaml": 'ok: "fine"\ncart: "Cart ({{ n }"\n'})
    assert [(d.code, Path(d.file).name, d.line, d.col) for d in diagnostics] == [
        ("template-syntax", "labels.yaml", 2, 14)]


def test_an_unknown_filter_is_a_syntax_error_with_a_suggestion(load: Loader) -> None:
    _store, diagnostics = load({"ru/t.html": "{{ total|mony }}"})
    assert [(d.code, d.hint) for d in diagnostics] == [("template-syntax", "did you mean 'money'?")]


def test_an_unresolved_include_is_reported(load: Loader) -> None:
    _store, diagnostics = load({"ru/t.html": "a\n{% include 'parts/rwo' %}",
                                "ru/parts/row.html": ""})
    assert [(d.code, d.line) for d in diagnostics] == [("template-include", 2)]
    assert "did you mean 'parts/row'?" in diagnostics[0].message


def test_a_duplicate_label_key_is_reported_with_its_line(load: Loader) -> None:
    _store, diagnostics = load({"ru/labels.yaml": "cart: A\nmenu:\n  x: B\ncart: C\n"})
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("duplicate-key", 4, 1)]
    assert "duplicate key 'cart' (first defined on line 1)" in diagnostics[0].message


def test_a_dotted_key_clashing_with_a_nested_one_is_a_duplicate(load: Loader) -> None:
    _store, diagnostics = load({"ru/labels.yaml": "menu.catalog: A\nmenu:\n  catalog: B\n"})
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("label-file", 3, 3)]


@pytest.mark.parametrize(("value", "kind"), [("42", "int"), ("true", "bool"), ("", "null"),
                                             ("[a, b]", "a list")])
def test_a_label_must_be_a_string(load: Loader, value: str, kind: str) -> None:
    _store, diagnostics = load({"ru/labels.yaml": f"ok: fine\nbad: {value}\n"})
    assert [(d.code, d.line) for d in diagnostics] == [("label-file", 2)]
    assert f"must be a string, not {kind}" in diagnostics[0].message


def test_invalid_yaml_in_labels_is_reported_at_its_position(load: Loader) -> None:
    _store, diagnostics = load({"ru/labels.yaml": "a: A\nb: [unclosed\n"})
    assert [(d.code, d.severity) for d in diagnostics] == [("yaml-syntax", Severity.ERROR)]
    assert diagnostics[0].line >= 2


def test_labels_yaml_is_read_by_the_scenario_loader(load: Loader, tmp_path: Path) -> None:
    text = "ok: fine\ncart: {{ n }} items\n"
    _store, diagnostics = load({"ru/labels.yaml": text})
    file = str(tmp_path / "templates" / "shop" / "ru" / "labels.yaml")
    _loaded, expected = load_yaml(text, file)
    assert expected  # the scenario loader refuses this text ...
    assert diagnostics == expected  # ... and labels.yaml gets the very same diagnostics
    assert [(d.code, d.line) for d in diagnostics] == [("yaml-syntax", 2)]
    assert "quote it" in (diagnostics[0].hint or "")


def test_labels_yaml_follows_the_loaders_yaml_hygiene(load: Loader) -> None:
    _store, diagnostics = load({"ru/labels.yaml": "ok: fine\nbad: !!python/name:os.system x\n"
                                                  "1: one\n"})
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("yaml-tag", 2, 6),
                                                             ("key-type", 3, 1)]


def test_a_yes_or_on_in_labels_is_text_not_a_boolean(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/labels.yaml": "confirm: yes\nswitch: on\n"})
    assert store.render_label("confirm", "ru") == "yes"
    assert store.render_label("switch", "ru") == "on"


def test_labels_yaml_can_share_texts_through_anchors(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/labels.yaml": "base: &b\n  ok: Хорошо\nagain:\n  <<: *b\n"})
    assert store.render_label("again.ok", "ru") == "Хорошо"


def test_nested_labels_flatten_to_dotted_keys(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/labels.yaml": "menu:\n  catalog: C\n  sub:\n    deep: D\nyes: Да\n"})
    assert store.label_keys() == ["menu.catalog", "menu.sub.deep", "yes"]
    assert store.render_label("menu.sub.deep", "ru") == "D"


# ---------------------------------------------------------------------------------- lookups


def test_an_unknown_template_suggests_a_name(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/main/menu.html": "m"})
    with pytest.raises(TemplateError,
                       match=r"unknown template 'main/mneu' \(did you mean 'main/menu'"):
        store.render("main/mneu", "ru")


def test_an_unknown_label_suggests_a_key(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/labels.yaml": "menu:\n  catalog: C\n"})
    with pytest.raises(TemplateError, match=r"did you mean 'menu.catalog'"):
        store.render_label("menu.catalgo", "ru")


def test_names_describe_the_default_locale(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/a.html": "", "ru/sub/b.html": "", "ru/notes.txt": "",
                      "uz/a.html": "", "ru/labels.yaml": "x: X\n"})
    assert store.template_names() == ["a", "sub/b"]
    assert (store.has_template("sub/b"), store.has_template("sub/b.html")) == (True, False)
    assert (store.has_label("x"), store.has_label("y")) == (True, False)


def test_rendering_never_parses_again(store_of: Callable[[Files], TemplateStore],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_of({"ru/t.html": "{% include 'p' %}{{ n|money }}", "ru/p.html": "p",
                      "ru/labels.yaml": "l: '{{ n }}'\n"})

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed at render time")

    monkeypatch.setattr(jinja2.Environment, "_parse", forbidden)
    monkeypatch.setattr(jinja2.Environment, "compile", forbidden)
    assert store.render("t", "uz", {"n": 5}) == "p5"
    assert store.render_label("l", "en", {"n": 5}) == "5"


# ----------------------------------------------------------------------------- introspection


def test_variables_of_template_lists_top_level_names_over_locales_and_includes(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({
        "ru/t.html": "{{ user.name }} {{ cart.total|money }} {{ _locale }}\n"
                     "{% for item in items %}{% include 'row' %}{% endfor %}"
                     "{% set local = 1 %}{{ local }}",
        "ru/row.html": "{{ item.title }} {{ currency }}",
        "uz/t.html": "{{ user.name }} {{ promo }}",
    })
    assert store.variables_of_template("t") == {"user", "cart", "items", "currency", "promo"}


def test_variables_of_label_are_the_union_over_locales(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/labels.yaml": "cart: 'Корзина ({{ count }})'\n",
                      "uz/labels.yaml": "cart: 'Savat {{ count }} {{ total }}'\n"})
    assert store.variables_of_label("cart") == {"count", "total"}


def test_compile_expression_evaluates_against_data(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({})
    condition = store.compile_expression("cart.count > 0 and user.id in admins")
    assert condition.variables == {"cart", "user", "admins"}
    assert condition.is_true({"cart": {"count": 2}, "user": {"id": 7}, "admins": [7]})
    assert not condition.is_true({"cart": {"count": 0}, "user": {"id": 7}, "admins": [7]})
    assert store.compile_expression("item.id").evaluate({"item": {"id": 42}}) == 42


def test_compile_expression_rejects_bad_syntax_with_jinjas_message(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({})
    with pytest.raises(ExpressionSyntaxError) as caught:
        store.compile_expression("cart.count >")
    assert caught.value.detail == "unexpected 'end of template'"
    with pytest.raises(ExpressionSyntaxError, match="unexpected 'b' after the expression"):
        store.compile_expression("a b")


def test_an_expression_over_a_missing_variable_raises(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({})
    with pytest.raises(TemplateRenderError, match="'cart' is undefined"):
        store.compile_expression("cart.count > 0").evaluate({})
    with pytest.raises(TemplateRenderError, match="has no attribute 'id'"):
        store.compile_expression("item.id").evaluate({"item": {}})


def test_an_expression_is_sandboxed(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({})
    with pytest.raises(TemplateError, match="unsafe operation blocked"):
        store.compile_expression("''.__class__.__mro__").evaluate({})


def test_an_inline_template_renders_plain_text(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({})
    url = store.compile_inline("https://shop.uz/items/{{ item.id }}?q={{ q }}")
    assert url.variables == {"item", "q"}
    assert url.render({"item": {"id": 5}, "q": "a&b"}) == "https://shop.uz/items/5?q=a&b"


# ---------------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (12000, "ru", f"12{NNBSP}000"),
        (Decimal("1234.5"), "ru", f"1{NNBSP}234.50"),
        (Decimal("12000.00"), "uz", f"12{NNBSP}000"),
        ("1234567.891", "ru", f"1{NNBSP}234{NNBSP}567.89"),
        (1234567, "en", "1,234,567"),
        (-1500, "en", "-1,500"),
        (0.1 + 0.2, "ru", "0.30"),
        (1.005, "ru", "1.01"),  # via its decimal repr: binary 1.005 would round to 1.00
        (Decimal("-0.001"), "ru", "0"),
        (5, None, "5"),
    ],
)
def test_money_formats_amounts(value: object, locale: str | None, expected: str) -> None:
    assert format_money(value, locale) == expected


def test_money_filter_takes_the_locale_from_the_render_call_and_a_currency(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": '{{ total|money("сум") }}'})
    assert store.render("t", "ru", {"total": 12000}) == f"12{NNBSP}000{NBSP}сум"
    assert store.render("t", "en", {"total": 12000}) == f"12,000{NBSP}сум"


@pytest.mark.parametrize("junk", ["abc", "NaN", "1e999999", True, None, [1]])
def test_money_rejects_what_is_not_a_finite_amount(junk: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        format_money(junk, "ru")


@given(st.decimals(min_value=-10**15, max_value=10**15, allow_nan=False, allow_infinity=False,
                   places=2))
def test_money_keeps_the_amount_to_the_cent(amount: Decimal) -> None:
    text = format_money(amount, "ru")
    assert Decimal(text.replace(NNBSP, "")) == amount


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("998901234567", "+998 90 123 45 67"),
        (998901234567, "+998 90 123 45 67"),
        ("+998 (90) 123-45-67", "+998 90 123 45 67"),
        ("79161234567", "+79161234567"),
        ("call me <now>", "call me <now>"),
        ("", ""),
        (None, ""),
        (True, "True"),
    ],
)
def test_phone_formats_numbers_and_returns_junk_unchanged(value: object, expected: str) -> None:
    assert format_phone(value) == expected


@given(st.text())
def test_phone_never_raises(value: str) -> None:
    assert isinstance(format_phone(value), str)


def test_phone_filter_escapes_junk_in_messages(store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "{{ p|phone }}"})
    assert store.render("t", "ru", {"p": "<b>"}) == "&lt;b&gt;"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 12, 0),  # naive: taken as UTC
        "2024-05-01T12:00:00Z",
        "2024-05-01T15:00:00+03:00",
        1714564800,
        "1714564800",
    ],
)
def test_datetime_converts_to_asia_tashkent_by_default(
        store_of: Callable[[Files], TemplateStore], moment: object) -> None:
    store = store_of({"ru/t.html": '{{ ts|datetime("%d.%m.%Y %H:%M") }}'})
    assert store.render("t", "ru", {"ts": moment}) == "01.05.2024 17:00"


def test_datetime_uses_the_zone_argument_then_the_render_zone(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/a.html": '{{ ts|datetime("%H:%M", "Europe/Moscow") }}',
                      "ru/b.html": "{{ ts|datetime }}"})
    ts = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert store.render("a", "ru", {"ts": ts}) == "15:00"
    assert store.render("b", "ru", {"ts": ts}, timezone="Europe/London") == "01.05.2024 13:00"
    assert store.render("b", "ru", {"ts": ts, "_timezone": "Asia/Tokyo"}) == "01.05.2024 21:00"


def test_datetime_rejects_junk_and_unknown_zones(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": "{{ ts|datetime('%H', zone) }}"})
    with pytest.raises(TemplateRenderError, match="not an ISO date/time"):
        store.render("t", "ru", {"ts": "yesterday", "zone": "UTC"})
    with pytest.raises(TemplateRenderError, match="unknown time zone"):
        store.render("t", "ru", {"ts": 0, "zone": "Mars/Olympus"})


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "товар"), (21, "товар"), (101, "товар"), (2, "товара"), (4, "товара"), (22, "товара"),
     (0, "товаров"), (5, "товаров"), (11, "товаров"), (12, "товаров"), (14, "товаров"),
     (112, "товаров"), (Decimal("1.5"), "товара"), (-3, "товара")],
)
def test_plural_follows_russian_rules(count: object, expected: str) -> None:
    assert plural_form(count, ("товар", "товара", "товаров"), "ru") == expected


@pytest.mark.parametrize(("locale", "count", "expected"),
                         [("en", 1, "item"), ("en", 0, "items"), ("en", 5, "items"),
                          ("uz", 1, "mahsulot"), ("uz", 5, "mahsulot")])
def test_plural_in_english_and_uzbek(locale: str, count: int, expected: str) -> None:
    forms = {"en": ("item", "items", "items!"), "uz": ("mahsulot", "x", "y")}[locale]
    assert plural_form(count, forms, locale) == expected


def test_plural_filter_takes_the_locale_from_the_render_call(
        store_of: Callable[[Files], TemplateStore]) -> None:
    store = store_of({"ru/t.html": '{{ n }} {{ n|plural("товар", "товара", "товаров") }}',
                      "en/t.html": '{{ n }} {{ n|plural("item", "items") }}'})
    assert store.render("t", "ru", {"n": 3}) == "3 товара"
    assert store.render("t", "en", {"n": 3}) == "3 items"


def test_the_package_keeps_its_public_names() -> None:
    import engine.templates

    assert set(engine.templates.__all__) == {
        "DEFAULT_DATETIME_FORMAT", "DEFAULT_TIMEZONE", "LABEL_FILE", "RESERVED_VARIABLES",
        "CompiledExpression", "ExpressionSyntaxError", "InlineTemplate", "TemplateRenderError",
        "TemplateStore", "create_environment", "format_datetime", "format_money", "format_phone",
        "plural_form",
    }
    assert all(hasattr(engine.templates, name) for name in engine.templates.__all__)
