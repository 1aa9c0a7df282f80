"""``python -m engine graph``: the flow of a scenario, every way in and out of each window.

DOT text goes to stdout or to ``-o x.dot``/``x.gv``; ``-o x.svg``/``.png``/``.pdf`` is rendered by
Graphviz's ``dot``. ``back``, ``done`` and ``cancel`` are drawn too: ``back`` to the window the
user came from in that dialog (from the window a dialog opens with: to whoever opened it),
``done``/``cancel`` to the windows that opened the dialog, or to the "closed" node when nothing
lies underneath (a dialog opened by a command or by ``menu`` starts a fresh stack).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.kinds import builtin_kinds
from engine.scenario.graph import CLOSED, Edge, flow_edges, to_dot
from engine.scenario.pipeline import load_bundle
from engine.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
ORDERS = ROOT / "scenarios" / "orders.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz is not installed (tools/install-system-deps.sh)")


def graph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", "graph", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False, env=env)


def scenario(dialogs: dict[str, object], handlers: list[object] | None = None) -> Scenario:
    return builtin_kinds().scenario_model.model_validate({
        "scenario": "g", "menu": "main", "dialogs": dialogs,
        "handlers": handlers if handlers is not None else [{"command": "start", "go": "menu"}],
    })


def button(ident: str, go: str) -> dict[str, str]:
    return {"type": "button", "id": ident, "label": ident, "go": go}


def window(*buttons: dict[str, str]) -> dict[str, object]:
    return {"text": "t", "keyboard": list(buttons)}


def shown(edges: list[Edge]) -> set[tuple[str, str, str]]:
    return {(".".join(e.source), ".".join(e.target), e.label) for e in edges}


# --- back, done and cancel ---------------------------------------------------------------------


FLOW = scenario({
    "main": {"windows": {
        "home": window(button("list", "list"), button("pay", "checkout")),
        "list": window(button("back", "back"), button("more", "more")),
        "more": window(button("back", "back")),
    }},
    "checkout": {"windows": {
        "confirm": window(button("ok", "done"), button("no", "cancel"), button("back", "back"),
                          button("home", "menu")),
    }},
})


def test_back_leads_to_the_window_the_user_came_from() -> None:
    edges = shown(list(flow_edges(FLOW)))
    assert ("main.list", "main.home", "back") in edges
    assert ("main.more", "main.list", "back") in edges
    assert ("main.more", "main.home", "back") not in edges


def test_done_and_cancel_lead_back_to_the_windows_that_opened_the_dialog() -> None:
    edges = shown(list(flow_edges(FLOW)))
    assert ("checkout.confirm", "main.home", "ok") in edges
    assert ("checkout.confirm", "main.home", "no") in edges
    assert ("checkout.confirm", "main.home", "back") in edges, "back from the first window"


def test_a_dialog_opened_afresh_closes_when_it_finishes() -> None:
    edges = shown(list(flow_edges(scenario(
        {"main": {"windows": {"home": window(button("bye", "done"))}}}))))
    assert ("main.home", ".".join(CLOSED), "bye") in edges


def test_menu_is_a_fresh_start_not_a_caller() -> None:
    flow = scenario({
        "main": {"windows": {"home": window(button("pay", "checkout"))}},
        "checkout": {"windows": {"confirm": window(button("home", "menu"), button("ok", "done"))}},
    })
    edges = shown(list(flow_edges(flow)))
    assert ("checkout.confirm", "main.home", "home") in edges
    assert ("main.home", "checkout.confirm", "back") not in edges


def test_dot_marks_the_ways_back() -> None:
    dot = to_dot(FLOW)
    assert '"main.list" -> "main.home" [label="back", style=dashed];' in dot
    assert f'"{".".join(CLOSED)}"' not in dot, "no one closes this flow: no 'closed' node"


def test_dot_quotes_what_a_handler_matches() -> None:
    flow = scenario({"main": {"windows": {"home": window(button("x", "stay"))}}},
                    [{"command": "start", "go": "menu"},
                     {"text": '^say "(\\w+)"$', "go": "main"}])
    assert '"@handlers.^say \\"(\\\\w+)\\"$" -> "main.home"' in to_dot(flow)


# --- the shipped orders bot --------------------------------------------------------------------


@pytest.fixture(scope="module")
def orders_dot() -> str:
    bundle, diagnostics = load_bundle(ORDERS)
    assert bundle is not None, [d.format() for d in diagnostics]
    return to_dot(bundle.scenario)


def test_the_phone_window_of_the_orders_bot_has_its_ways_out(orders_dot: str) -> None:
    out_of_phone = [line for line in orders_dot.splitlines()
                    if line.strip().startswith('"identify.phone" ->')]
    assert out_of_phone, "identify.phone shows no way out"
    assert any('"main.home"' in line for line in out_of_phone)
    assert any('"checkout.review"' in line for line in out_of_phone)


# --- the command line --------------------------------------------------------------------------


def test_dot_on_stdout() -> None:
    proc = graph(str(ORDERS))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('digraph "orders" {')
    assert '"identify.phone" ->' in proc.stdout


@pytest.mark.parametrize("suffix", [".dot", ".gv"])
def test_dot_suffixes_get_dot_text(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"flow{suffix}"
    proc = graph(str(ORDERS), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8").startswith('digraph "orders" {')


@needs_dot
def test_svg_is_real_svg(tmp_path: Path) -> None:
    out = tmp_path / "flow.svg"
    proc = graph(str(ORDERS), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {t.text for t in root.iter("{http://www.w3.org/2000/svg}title")}
    assert "identify.phone" in titles
    assert any(t and t.startswith("identify.phone->") for t in titles)


@needs_dot
def test_png_is_a_png(tmp_path: Path) -> None:
    out = tmp_path / "flow.png"
    proc = graph(str(ORDERS), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(PNG_SIGNATURE)


@needs_dot
def test_pdf_is_a_pdf(tmp_path: Path) -> None:
    out = tmp_path / "flow.pdf"
    proc = graph(str(ORDERS), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_an_image_without_graphviz_is_one_clear_line(tmp_path: Path) -> None:
    out = tmp_path / "flow.svg"
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    proc = graph(str(ORDERS), "-o", str(out), env=env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: flow.svg is drawn by Graphviz's 'dot', which is not installed")
    assert "-o flow.dot" in lines[0]
    assert not out.exists()
