"""Named route sets: a scenario-level ``routes:`` mapping of outcome maps that actions name with
``on: <name>`` instead of sharing them through YAML anchors."""

from __future__ import annotations

import re
from pathlib import Path

from engine.diagnostics import Diagnostic
from engine.kinds import builtin_kinds
from engine.scenario.loader import load_yaml
from engine.scenario.pipeline import load_bundle
from engine.scenario.route_sets import expand_route_sets
from engine.scenario.schema import Route
from engine.scenario.validate import validate_scenario

FILE = "scenario.yaml"
ANCHOR = re.compile(r"(?:^|[\s:,\[{-])[&*][A-Za-z_]")  # &name or *name outside strings
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
SHIPPED = Path(__file__).resolve().parent.parent / "scenarios"

BASE = """\
scenario: demo
routes:
  added:
    ok: {notice: cart.added}
    out_of_stock: {go: menu, notice: cart.out_of_stock}
dialogs:
  main:
    windows:
      home:
        text: home
        keyboard:
          - type: button
            id: add
            label: add
            action: {call: shop.cart.add, on: %s}
"""


def expanded(text: str) -> tuple[object, list[Diagnostic]]:
    loaded, problems = load_yaml(text, FILE)
    assert loaded is not None, problems
    assert problems == []
    expanded = expand_route_sets(loaded)
    return expanded.loaded, expanded.diagnostics


def test_an_action_naming_a_route_set_gets_its_outcome_map() -> None:
    loaded, diagnostics = expanded(BASE % "added")
    assert diagnostics == []
    scenario, problems = validate_scenario(loaded, builtin_kinds())  # type: ignore[arg-type]
    assert scenario is not None, problems
    button = scenario.dialogs["main"].windows["home"].keyboard[0]
    assert button.action is not None  # type: ignore[union-attr]
    assert button.action.on == {  # type: ignore[union-attr]
        "ok": Route(notice="cart.added"),
        "out_of_stock": Route(go="menu", notice="cart.out_of_stock"),
    }
    assert scenario.routes["added"]["ok"] == Route(notice="cart.added")


def test_an_unknown_route_set_is_an_error_at_the_name_with_did_you_mean() -> None:
    _, diagnostics = expanded(BASE % "aded")
    errors = [d for d in diagnostics if d.severity == "error"]
    assert [d.code for d in errors] == ["unknown-route-set"]
    problem = errors[0]
    assert (problem.file, problem.line, problem.col) == (FILE, 15, 47)
    assert problem.severity == "error"
    assert "'aded'" in problem.message
    assert "did you mean 'added'" in problem.message


def test_an_unused_route_set_is_a_warning_at_its_name() -> None:
    _, diagnostics = expanded(BASE % "{ok: stay}")
    assert [d.code for d in diagnostics] == ["unused-route-set"]
    problem = diagnostics[0]
    assert (problem.line, problem.col) == (3, 3)
    assert problem.severity == "warning"


def test_shipped_scenarios_have_no_yaml_anchors_or_aliases() -> None:
    for path in sorted(SHIPPED.glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        shared = [(number, line.strip()) for number, line in enumerate(lines, 1)
                  if ANCHOR.search(QUOTED.sub("", line.split(" #")[0]))]
        assert shared == [], f"{path.name} shares pieces through YAML anchors: {shared}"


def test_check_reports_a_misspelt_route_set_once_not_as_unrouted_outcomes(tmp_path: Path) -> None:
    text = (SHIPPED / "orders.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "orders.yaml"
    broken.write_text(text.replace("on: changed}", "on: chnged}"), encoding="utf-8")
    bundle, diagnostics = load_bundle(broken, root=SHIPPED.parent)
    assert bundle is None
    errors = [d for d in diagnostics if d.severity == "error"]
    assert {d.code for d in errors} == {"unknown-route-set"}
    assert len(errors) == 2
    assert all("did you mean 'changed'" in d.message for d in errors)


SHARED_INPUT = """\
scenario: demo
inputs:
  vin:
    type: text
    max_lenght: 200
    action: {call: x.y.submit}
dialogs:
  main:
    windows:
      home: {text: home, input: %s}
"""


def test_a_window_names_a_shared_input_and_its_problems_point_at_the_definition() -> None:
    loaded, diagnostics = expanded(SHARED_INPUT % "vin")
    assert diagnostics == []
    _, problems = validate_scenario(loaded, builtin_kinds())  # type: ignore[arg-type]
    assert [(d.line, d.col) for d in problems] == [(5, 5)]
    assert "max_length" in problems[0].message + (problems[0].hint or "")


def test_an_unknown_shared_input_is_an_error_with_did_you_mean() -> None:
    _, diagnostics = expanded(SHARED_INPUT % "vim")
    errors = [d for d in diagnostics if d.severity == "error"]
    assert [(d.code, d.line) for d in errors] == [("unknown-shared-input", 10)]
    assert "did you mean 'vin'" in errors[0].message
