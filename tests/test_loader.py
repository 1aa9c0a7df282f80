"""Stage 1: YAML text -> plain data + source positions, with YAML hygiene."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from engine.diagnostics import Diagnostic
from engine.scenario.loader import LoadedYaml, Pos, load_yaml, load_yaml_file, source_excerpt

FILE = "scenario.yaml"


def load(text: str) -> tuple[LoadedYaml, list[Diagnostic]]:
    loaded, diagnostics = load_yaml(text, FILE)
    assert loaded is not None, diagnostics
    return loaded, diagnostics


def data_of(text: str) -> Any:
    loaded, diagnostics = load(text)
    assert diagnostics == []
    return loaded.data


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def only_error(text: str) -> Diagnostic:
    _, diagnostics = load_yaml(text, FILE)
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


# --- plain data -------------------------------------------------------------------------------


def test_data_is_built_from_plain_python_values() -> None:
    text = "name: shop\ncount: 3\nprice: 9.5\nactive: true\nnote:\nitems: [a, b]\n"
    assert data_of(text) == {
        "name": "shop",
        "count": 3,
        "price": 9.5,
        "active": True,
        "note": None,
        "items": ["a", "b"],
    }


def test_mapping_keys_keep_file_order() -> None:
    assert list(data_of("b: 1\na: 2\nc: 3\n")) == ["b", "a", "c"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_document_is_none_without_errors(text: str) -> None:
    loaded, diagnostics = load(text)
    assert loaded.data is None
    assert diagnostics == []


def test_lines_hold_the_source_for_caret_display() -> None:
    loaded, _ = load("a: 1\nb: 2\n")
    assert loaded.lines[:2] == ["a: 1", "b: 2"]
    assert loaded.file == FILE


def test_yaml_safe_loader_itself_is_left_alone() -> None:
    load("on: 1\n")
    assert yaml.safe_load("on: 1\n") == {True: 1}


# --- rule 1: safe loading and tags ------------------------------------------------------------


def test_python_tags_are_reported_and_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    loaded, diagnostics = load(f"a: !!python/object/apply:os.system ['touch {marker}']\n")
    assert codes(diagnostics) == ["yaml-tag"]
    assert loaded.data == {"a": None}
    assert not marker.exists()


@pytest.mark.parametrize(
    "value", ["!env HOME", "!!timestamp 2024-01-02", "!!binary aGk=", "!!set {a}", "!!omap [a: 1]"]
)
def test_tags_other_than_the_standard_ones_are_yaml_tag_errors(value: str) -> None:
    error = only_error(f"a: {value}\n")
    assert (error.code, error.line, error.col) == ("yaml-tag", 1, 4)


def test_standard_tags_are_honoured() -> None:
    text = "a: !!str 0123\nb: !!int '42'\nc: !!float 3\nd: !!bool 'true'\ne: !!null ''\n"
    assert data_of(text) == {"a": "0123", "b": 42, "c": 3.0, "d": True, "e": None}


def test_a_standard_tag_on_an_unreadable_value_is_an_error() -> None:
    error = only_error("a: !!int twelve\n")
    assert error.code == "yaml-tag"
    assert "twelve" in error.message


# --- rule 2: duplicate keys -------------------------------------------------------------------


def test_duplicate_key_is_reported_at_the_second_key_naming_the_first_line() -> None:
    error = only_error("title: a\nother: x\ntitle: b\n")
    assert (error.code, error.line, error.col) == ("duplicate-key", 3, 1)
    assert "'title'" in error.message
    assert "line 1" in error.message


def test_every_duplicate_key_is_reported() -> None:
    text = "a: 1\nb:\n  x: 1\n  x: 2\na: 3\nc: {k: 1, k: 2}\n"
    loaded, diagnostics = load(text)
    assert [(d.code, d.line) for d in diagnostics] == [
        ("duplicate-key", 4),
        ("duplicate-key", 5),
        ("duplicate-key", 6),
    ]
    assert isinstance(loaded.data, dict)


# --- rule 3: YAML 1.1 traps -------------------------------------------------------------------

TRAPS = [
    "on", "off", "yes", "no", "y", "n", "On", "OFF", "Yes", "NO", "Y", "N",
    "0123", "007", "-0123", "0o17", "0x1F", "0b101",
    "10:30", "1:30:00",
    "2024-01-02", "2024-01-02 10:00:00", "2024-01-02T10:00:00Z",
    "1_000", "1_000.5",
    ".inf", "-.inf", ".nan", ".NaN",
    "=", "<<",
]  # fmt: skip


@pytest.mark.parametrize("plain", TRAPS)
def test_yaml11_look_alikes_stay_strings(plain: str) -> None:
    assert data_of(f"value: {plain}\n") == {"value": plain}


def test_on_as_a_key_is_the_string_on() -> None:
    assert data_of("on: click\nyes: 1\n") == {"on": "click", "yes": 1}


@pytest.mark.parametrize(
    ("plain", "expected"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False),
     ("FALSE", False)],
)  # fmt: skip
def test_only_true_and_false_are_booleans(plain: str, expected: bool) -> None:
    assert data_of(f"value: {plain}\n") == {"value": expected}


@pytest.mark.parametrize(("plain", "expected"), [("42", 42), ("-12", -12), ("0", 0), ("+7", 7)])
def test_plain_decimal_integers_are_ints(plain: str, expected: int) -> None:
    value = data_of(f"value: {plain}\n")
    assert value == {"value": expected}
    assert type(value["value"]) is int


@pytest.mark.parametrize(
    ("plain", "expected"), [("1.5", 1.5), ("-0.25", -0.25), ("1e3", 1000.0), ("1.5e-3", 0.0015)]
)
def test_plain_decimal_floats_are_floats(plain: str, expected: float) -> None:
    value = data_of(f"value: {plain}\n")
    assert value == {"value": expected}
    assert type(value["value"]) is float


@pytest.mark.parametrize("plain", ["null", "Null", "NULL", "~", ""])
def test_null_tilde_and_empty_are_none(plain: str) -> None:
    assert data_of(f"value: {plain}\n") == {"value": None}


def test_quoted_scalars_are_always_strings() -> None:
    assert data_of("a: 'true'\nb: \"42\"\nc: '~'\n") == {"a": "true", "b": "42", "c": "~"}


@pytest.mark.parametrize("key", ["1", "1.5", "true", "~", "null"])
def test_scalar_keys_that_are_not_strings_are_key_type_errors(key: str) -> None:
    error = only_error(f"ok: 1\n{key}: x\n")
    assert (error.code, error.line, error.col) == ("key-type", 2, 1)


def test_key_type_error_suggests_quoting_the_key() -> None:
    error = only_error("1: x\n")
    assert error.hint == 'quote it: "1":'


@pytest.mark.parametrize("key", ["[a, b]", "{a: 1}"])
def test_collection_keys_are_key_type_errors(key: str) -> None:
    assert only_error(f"? {key}\n: x\n").code == "key-type"


def test_quoted_number_key_is_a_string_key() -> None:
    assert data_of('"1": x\n') == {"1": "x"}


# --- rule 4: syntax errors --------------------------------------------------------------------


def test_syntax_error_gives_one_diagnostic_and_no_data() -> None:
    loaded, diagnostics = load_yaml("a: [1, 2\nb: 3\nc: d: e\n", FILE)
    assert loaded is None
    assert codes(diagnostics) == ["yaml-syntax"]


def test_tab_indentation_is_reported_with_a_hint() -> None:
    error = only_error("window:\n\ttext: hi\n")
    assert (error.code, error.line, error.col) == ("yaml-syntax", 2, 1)
    assert error.hint == "YAML does not allow tabs for indentation; use spaces"


def test_unquoted_template_that_breaks_parsing_gets_the_quote_hint() -> None:
    error = only_error("text: {{ name }} is here\n")
    assert error.code == "yaml-syntax"
    assert error.hint is not None
    assert 'quote it: "{{ ... }}"' in error.hint


def test_unquoted_template_that_parses_as_a_mapping_is_reported_as_such() -> None:
    error = only_error("text: {{ name }}\n")
    assert (error.code, error.line, error.col) == ("yaml-syntax", 1, 7)
    assert error.hint is not None
    assert "quote it" in error.hint


def test_colon_inside_an_unquoted_value_gets_a_hint() -> None:
    error = only_error("text: Note: read this\n")
    assert (error.code, error.line, error.col) == ("yaml-syntax", 1, 11)
    assert error.hint is not None
    assert "quote the whole value" in error.hint


def test_unclosed_quote_says_where_the_quote_started() -> None:
    error = only_error('a: 1\ntext: "hello\nb: 2\n')
    assert error.code == "yaml-syntax"
    assert "line 2, column 7" in error.message
    assert error.hint is not None
    assert "quote" in error.hint


def test_syntax_messages_are_cleaned_of_pyyaml_token_names() -> None:
    error = only_error("- a\nb: 1\n")
    assert "<" not in error.message
    assert "unicode string" not in error.message
    assert (error.line, error.col) == (2, 1)


def test_control_characters_are_syntax_errors_at_their_position() -> None:
    error = only_error("a: 1\nb: x\x07\n")
    assert (error.code, error.line, error.col) == ("yaml-syntax", 2, 5)


# --- rule 5: anchors, aliases, merges, documents ------------------------------------------------


def test_alias_value_is_a_copy_of_the_anchor() -> None:
    data = data_of("base: &b {x: 1}\nuse: *b\n")
    assert data == {"base": {"x": 1}, "use": {"x": 1}}
    assert data["use"] is not data["base"]


def test_alias_carries_the_positions_of_the_anchored_text() -> None:
    loaded, _ = load("base: &b\n  x: 1\nuse: *b\n")
    assert loaded.positions.node(("use", "x")) == Pos(FILE, 2, 6)
    assert loaded.positions.key(("use", "x")) == Pos(FILE, 2, 3)
    assert loaded.positions.key(("use",)) == Pos(FILE, 3, 1)


def test_merge_key_merges_and_explicit_keys_win() -> None:
    data = data_of("d: &d {a: 1, b: 2}\nw:\n  <<: *d\n  b: 3\n")
    assert data == {"d": {"a": 1, "b": 2}, "w": {"b": 3, "a": 1}}


def test_merged_keys_keep_the_positions_where_they_were_defined() -> None:
    loaded, _ = load("d: &d\n  a: 1\nw:\n  <<: *d\n  b: 3\n")
    assert loaded.positions.key(("w", "a")) == Pos(FILE, 2, 3)
    assert loaded.positions.node(("w", "a")) == Pos(FILE, 2, 6)
    assert loaded.positions.key(("w", "b")) == Pos(FILE, 5, 3)


def test_merge_of_a_list_lets_earlier_mappings_win() -> None:
    data = data_of("x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  <<: [*x, *y]\n")
    assert data["z"] == {"a": 1, "b": 2}


def test_merge_of_something_other_than_a_mapping_is_an_error() -> None:
    assert only_error("w:\n  <<: 5\n").code == "yaml-merge"


def test_undefined_alias_is_a_syntax_error() -> None:
    loaded, diagnostics = load_yaml("a: *nothing\n", FILE)
    assert loaded is None
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("yaml-syntax", 1, 4)]


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    loaded, diagnostics = load_yaml("a: &a\n  - *a\n", FILE)
    assert loaded is None
    assert codes(diagnostics) == ["yaml-syntax"]


def test_exponential_alias_expansion_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    loaded, diagnostics = load_yaml("\n".join(lines) + "\n", FILE)
    assert loaded is None
    assert codes(diagnostics) == ["yaml-too-large"]


def test_several_documents_are_an_error_at_the_second() -> None:
    loaded, diagnostics = load_yaml("a: 1\n---\nb: 2\n", FILE)
    assert loaded is None
    assert [(d.code, d.line) for d in diagnostics] == [("yaml-multi-doc", 2)]


def test_one_explicit_document_is_fine() -> None:
    assert data_of("---\na: 1\n...\n") == {"a": 1}


# --- rule 6: positions ------------------------------------------------------------------------

SCENARIO = """\
scenario: shop
windows:
  - id: main
    buttons:
      - id: pay
        label: Pay
      - id: back
        label: [oops]
"""


def test_every_value_has_a_one_based_position() -> None:
    positions = load(SCENARIO)[0].positions
    assert positions.node(()) == Pos(FILE, 1, 1)
    assert positions.node(("scenario",)) == Pos(FILE, 1, 11)
    assert positions.node(("windows",)) == Pos(FILE, 3, 3)
    assert positions.node(("windows", 0)) == Pos(FILE, 3, 5)
    assert positions.node(("windows", 0, "buttons", 1, "label")) == Pos(FILE, 8, 16)
    assert positions.node(("windows", 0, "buttons", 1, "label", 0)) == Pos(FILE, 8, 17)


def test_keys_have_positions_and_list_items_do_not() -> None:
    positions = load(SCENARIO)[0].positions
    assert positions.key(("windows", 0, "buttons")) == Pos(FILE, 4, 5)
    assert positions.key(("windows", 0)) is None
    assert positions.key(()) is None


def test_lookup_prefers_the_key_then_the_value() -> None:
    positions = load(SCENARIO)[0].positions
    assert positions.lookup(("scenario",)) == Pos(FILE, 1, 1)
    assert positions.lookup(("windows", 0)) == Pos(FILE, 3, 5)


def test_lookup_falls_back_to_the_nearest_known_ancestor() -> None:
    positions = load(SCENARIO)[0].positions
    assert positions.lookup(("windows", 0, "buttons", 0, "url", "x")) == Pos(FILE, 5, 9)
    assert load("")[0].positions.lookup(("anything",)) == Pos(FILE, 1, 1)


def test_keys_at_lists_a_mappings_keys_in_file_order() -> None:
    positions = load(SCENARIO)[0].positions
    assert positions.keys_at(("windows", 0, "buttons", 0)) == ["id", "label"]
    assert positions.keys_at(("windows",)) == []


class _Button(pydantic.BaseModel):
    id: str
    label: str


class _Window(pydantic.BaseModel):
    id: str
    buttons: list[_Button]


class _Scenario(pydantic.BaseModel):
    scenario: str
    windows: list[_Window]


def test_pydantic_error_locations_are_position_paths() -> None:
    loaded, _ = load(SCENARIO)
    with pytest.raises(pydantic.ValidationError) as caught:
        _Scenario.model_validate(loaded.data)
    (error,) = caught.value.errors()
    assert loaded.positions.lookup(error["loc"]) == Pos(FILE, 8, 9)


def test_crlf_line_endings_give_the_same_positions() -> None:
    loaded, _ = load("a: 1\r\nb:\r\n  - x\r\n")
    assert loaded.positions.node(("b", 0)) == Pos(FILE, 3, 5)
    assert loaded.lines[2] == "  - x"


# --- rule 7: size and depth -------------------------------------------------------------------


MAX_DEPTH = 64  # the documented nesting limit


def test_nesting_up_to_the_limit_loads() -> None:
    loaded, diagnostics = load("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert diagnostics == []
    assert loaded.positions.node((0,) * (MAX_DEPTH - 1)) == Pos(FILE, 1, MAX_DEPTH)


def test_nesting_deeper_than_the_limit_is_one_diagnostic_where_it_is_crossed() -> None:
    depth = MAX_DEPTH + 1
    loaded, diagnostics = load_yaml("a:\n  b: " + "[" * depth + "]" * depth + "\n", FILE)
    assert loaded is None
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("yaml-too-deep", 2, 6 + 62)]
    assert f"more than {MAX_DEPTH} levels" in diagnostics[0].message


def test_deep_block_nesting_is_refused_at_the_line_that_crosses_the_limit() -> None:
    levels = 1500
    text = "".join(" " * level + "k:\n" for level in range(levels)) + " " * levels + "v\n"
    loaded, diagnostics = load_yaml(text, FILE)
    assert loaded is None
    assert [(d.code, d.line, d.col) for d in diagnostics] == [
        ("yaml-too-deep", MAX_DEPTH + 1, MAX_DEPTH + 1)]


def test_aliases_cannot_nest_a_value_deeper_than_the_limit() -> None:
    half = MAX_DEPTH // 2 + 1
    text = "a: &deep " + "[" * half + "]" * half + "\nb: " + "[" * half + "*deep" + "]" * half
    loaded, diagnostics = load_yaml(text + "\n", FILE)
    assert loaded is None
    assert [(d.code, d.line) for d in diagnostics] == [("yaml-too-deep", 1)]


@pytest.mark.parametrize("depth", [10_000, 50_000])
def test_very_deep_nesting_is_refused_in_linear_time_and_memory(depth: int) -> None:
    text = "x: " + "[" * depth + "]" * depth + "\n"
    started = time.perf_counter()
    loaded, diagnostics = load_yaml(text, FILE)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    load_yaml(text, FILE)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert loaded is None
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("yaml-too-deep", 1, 3 + 64)]
    assert elapsed < 1.5  # before the limit: 17 s at depth 10,000, 141 s at 50,000
    assert peak < 5_000_000  # bytes: the size of the text, not its square (0.5 GB, 12 GB before)


MAX_BYTES = 2 * 1024 * 1024


def test_a_document_over_the_size_limit_is_refused_where_the_limit_is_crossed() -> None:
    line = "# " + "x" * 1021 + "\n"  # 1 KiB a line
    text = "a: 1\n" + line * 2048
    loaded, diagnostics = load_yaml(text, FILE)
    assert loaded is None
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("yaml-too-large", 2049, 1020)]
    assert "2 MB" in diagnostics[0].message


def test_the_size_limit_counts_utf8_bytes() -> None:
    loaded, diagnostics = load_yaml("a: " + "я" * (MAX_BYTES // 2) + "\n", FILE)
    assert loaded is None
    assert codes(diagnostics) == ["yaml-too-large"]


def test_a_document_just_under_the_size_limit_loads() -> None:
    loaded, diagnostics = load("a: " + "x" * (MAX_BYTES - 10) + "\n")
    assert diagnostics == []
    assert loaded.data == {"a": "x" * (MAX_BYTES - 10)}


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.write(b"a: 1\n")
        file.truncate(200 * 1024 * 1024)  # sparse: 200 MB of NUL bytes
    tracemalloc.start()
    loaded, diagnostics = load_yaml_file(path, "huge.yaml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert loaded is None
    assert [(d.code, d.line) for d in diagnostics] == [("yaml-too-large", 2)]
    assert peak < 20_000_000


def test_check_ends_a_deep_widget_value_with_the_diagnostic_and_exit_1(tmp_path: Path) -> None:
    depth = 1000
    scenario = tmp_path / "deep.yaml"
    scenario.write_text(
        "scenario: deep\nlocales: [ru]\ndialogs:\n  main:\n    windows:\n      home:\n"
        "        text: home\n        keyboard:\n          - type: "
        + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "engine", "check", str(scenario)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1
    assert "deep.yaml:9:76: error[yaml-too-deep]" in done.stdout  # the 58th '[' is level 65
    assert "Traceback" not in done.stderr + done.stdout
    assert "Exception ignored" not in done.stderr


# --- rule 8: files ----------------------------------------------------------------------------


def test_missing_file_is_a_file_read_error(tmp_path: Path) -> None:
    loaded, diagnostics = load_yaml_file(tmp_path / "nope.yaml", "nope.yaml")
    assert loaded is None
    assert [(d.file, d.line, d.col, d.code) for d in diagnostics] == [
        ("nope.yaml", 1, 1, "file-read")
    ]


def test_a_directory_is_a_file_read_error(tmp_path: Path) -> None:
    loaded, diagnostics = load_yaml_file(tmp_path)
    assert loaded is None
    assert codes(diagnostics) == ["file-read"]


def test_non_utf8_content_is_a_file_read_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nb: caf\xe9\n".encode("latin-1"))
    loaded, diagnostics = load_yaml_file(path)
    assert loaded is None
    assert [(d.line, d.col, d.code) for d in diagnostics] == [(1, 1, "file-read")]
    assert "line 2" in diagnostics[0].message


def test_file_is_loaded_under_its_display_name(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    loaded, diagnostics = load_yaml_file(path, "scenarios/shop.yaml")
    assert loaded is not None
    assert loaded.positions.node(("a",)) == Pos("scenarios/shop.yaml", 1, 4)
    assert [d.file for d in diagnostics] == ["scenarios/shop.yaml"]


def test_utf8_bom_is_accepted_without_shifting_columns(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: shop\n")
    loaded, diagnostics = load_yaml_file(path)
    assert loaded is not None
    assert diagnostics == []
    assert loaded.positions.node(("name",)) == Pos(str(path), 1, 7)


# --- source_excerpt ---------------------------------------------------------------------------


def test_source_excerpt_puts_a_caret_under_the_column() -> None:
    loaded, _ = load("a: 1\nlabel: [oops]\n")
    assert source_excerpt(loaded, Pos(FILE, 2, 8)) == "label: [oops]\n       ^"


def test_source_excerpt_keeps_tabs_so_the_caret_lines_up() -> None:
    loaded, _ = load("a: 'x\ty'\n")
    assert source_excerpt(loaded, Pos(FILE, 1, 8)) == "a: 'x\ty'\n" + "     \t ^"


def test_source_excerpt_of_a_missing_line_is_empty() -> None:
    loaded, _ = load("a: 1\n")
    assert source_excerpt(loaded, Pos(FILE, 99, 1)) == ""
