"""``engine check`` warns about YAML anchors (``yaml-anchor``) and names what to use instead:
route sets and shared pieces, which a reader who does not know YAML can follow."""

from __future__ import annotations

from pathlib import Path

from engine.diagnostics import Severity
from engine.scenario.loader import load_yaml
from engine.scenario.pipeline import load_bundle
from engine.scenario.route_sets import anchor_warnings

ROOT = Path(__file__).resolve().parent.parent
SHARED = """\
scenario: demo
dialogs:
  main:
    windows:
      home:
        text: home
        keyboard:
          - {type: url, label: site, url: "https://example.org/?a=1&b=2"}
          - type: button
            id: add
            label: add
            action: {call: shop.cart.add, on: &added {ok: stay}}
          - {type: button, id: more, label: more, action: {call: shop.cart.add, on: *added}}
          - {type: button, id: again, label: again, action: {call: shop.cart.add, on: *added}}
"""


def test_an_anchor_is_a_warning_at_its_definition_with_what_to_use_instead() -> None:
    loaded, problems = load_yaml(SHARED, "demo.yaml")
    assert loaded is not None, problems
    (warning,) = anchor_warnings(loaded)
    assert (warning.file, warning.line, warning.col) == ("demo.yaml", 12, 47)
    assert SHARED.splitlines()[11][46:].startswith("&added")
    assert warning.severity is Severity.WARNING
    assert warning.code == "yaml-anchor"
    assert warning.message == ("anchor '&added' shares a piece of the scenario through YAML "
                               "(used 2 times)")
    assert warning.hint is not None
    assert "route set" in warning.hint


def test_an_ampersand_in_a_string_is_no_anchor() -> None:
    loaded, _ = load_yaml(SHARED.split("          - type: button")[0], "demo.yaml")
    assert loaded is not None
    assert anchor_warnings(loaded) == []


def test_check_reports_it_and_still_passes(tmp_path: Path) -> None:
    shipped = (ROOT / "scenarios" / "vin_report.yaml").read_text(encoding="utf-8")
    old = "      on: submitted\n"
    assert shipped.count(old) == 2
    anchored = shipped.replace("  submitted:", "  submitted: &sub", 1)
    path = tmp_path / "vin_report.yaml"
    path.write_text(anchored, encoding="utf-8")
    bundle, diagnostics = load_bundle(path, root=ROOT)
    assert bundle is not None, diagnostics
    assert [(d.code, d.severity) for d in diagnostics] == [("yaml-anchor", Severity.WARNING)]


def test_the_shipped_scenarios_use_no_anchors() -> None:
    for name in ("orders.yaml", "vin_report.yaml"):
        loaded, _ = load_yaml((ROOT / "scenarios" / name).read_text(encoding="utf-8"), name)
        assert loaded is not None
        assert anchor_warnings(loaded) == []
