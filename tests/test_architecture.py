"""Architecture rules that keep the engine generic."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ENGINE = Path(engine.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_engine_never_imports_the_actions_package() -> None:
    offenders = {
        str(path.relative_to(ENGINE)): sorted(m for m in imported_modules(path)
                                               if m == "actions" or m.startswith("actions."))
        for path in ENGINE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_engine_modules_stay_small() -> None:
    sizes = {str(p.relative_to(ENGINE)): len(p.read_text(encoding="utf-8").splitlines())
             for p in ENGINE.rglob("*.py")}
    too_big = {name: n for name, n in sizes.items() if n > 500}
    assert too_big == {}


def test_importing_the_engine_has_no_side_effects() -> None:
    import subprocess
    import sys

    code = ("import logging, engine.cli, engine.runtime.app, engine.testing;"
            "import sys; print(len(logging.getLogger().handlers))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    assert out.stderr == ""


def _engine_imports(package: str) -> dict[str, set[str]]:
    return {str(path.relative_to(ENGINE)): imported_modules(path)
            for path in (ENGINE / package).rglob("*.py")}


def test_the_scenario_stages_import_neither_compile_nor_runtime_nor_widgets() -> None:
    """load -> schema -> link know nothing of what is built from them."""
    above = ("engine.compile", "engine.runtime", "engine.widgets")
    offenders = {name: sorted(m for m in modules if m.startswith(above))
                 for name, modules in _engine_imports("scenario").items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_compile_builds_no_runtime_infrastructure() -> None:
    """The compile stage makes values: it never reaches the composition root, storage,
    messages or polling (it uses only the executors its widgets and handlers call)."""
    executors = {"engine.runtime.flow", "engine.runtime.handlers"}
    offenders = {name: sorted(m for m in modules
                              if m.startswith("engine.runtime") and m not in executors)
                 for name, modules in _engine_imports("compile").items()}
    assert {k: v for k, v in offenders.items() if v} == {}
