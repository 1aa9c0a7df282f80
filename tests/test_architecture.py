"""Architecture rules that keep the engine generic."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path

import engine
from engine.packages import PackageContext
from engine.runtime.app import build_app

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


# The emulators (engine/playground) and the test kit that drives them are wired in by the shell
# and the tests only: besides them, the one module that may import them is the command line,
# lazily, inside the ``shell`` command.
EMULATOR_MODULES = ("engine.playground", "engine.testing")
LAZY_EMULATOR_IMPORTS = {("cli.py", "cmd_shell"), ("cli.py", "cmd_test"), ("cli.py", "cmd_playground")}


def emulator_imports(path: Path) -> set[tuple[str | None, str]]:
    """(enclosing top-level function or None, module) of each import of the emulators."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[tuple[str | None, str]] = set()
    for top in tree.body:
        where = top.name if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef) else None
        for node in ast.walk(top):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            found.update((where, name) for name in names
                         if any(name == m or name.startswith(m + ".") for m in EMULATOR_MODULES))
    return found


def test_only_the_shell_and_the_test_kit_import_the_emulators() -> None:
    offenders: dict[str, list[tuple[str | None, str]]] = {}
    for path in ENGINE.rglob("*.py"):
        name = path.relative_to(ENGINE).as_posix()
        if name.startswith("playground/") or name == "testing.py":
            continue
        bad = sorted((imp for imp in emulator_imports(path)
                      if (name, imp[0]) not in LAZY_EMULATOR_IMPORTS), key=str)
        if bad:
            offenders[name] = bad
    assert offenders == {}


def test_running_a_bot_loads_no_emulator() -> None:
    code = ("import sys, engine.cli, engine.runtime.polling, actions.shop, actions.tickets;"
            "print(sorted(m for m in sys.modules if m.startswith(('engine.playground', "
            "'engine.testing', 'actions.regos.emulator'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ENGINE.parent)
    assert out.stdout.strip() == "[]"


def test_the_production_composition_root_knows_no_sandbox() -> None:
    """Packages offer their sandboxes through their own hook (engine/playground/sandbox.py)."""
    assert not {"sandbox", "world"} & set(inspect.signature(build_app).parameters)
    assert not {"sandbox", "world"} & {f.name for f in dataclasses.fields(PackageContext)}


def test_importing_the_engine_has_no_side_effects() -> None:
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


def test_compile_imports_nothing_from_the_runtime() -> None:
    """The compile stage makes values: its dialogs, widgets and handlers call the runtime
    through the protocols of engine.compile.executors, which the runtime implements."""
    offenders = {name: sorted(m for m in modules if m.startswith("engine.runtime"))
                 for name, modules in _engine_imports("compile").items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_widgets_reach_the_runtime_only_through_the_flow_protocol() -> None:
    """engine/widgets/ sits below compile: it calls the runtime through
    engine.compile.executors.DialogFlowProtocol, never by importing engine/runtime/."""
    offenders = {name: sorted(m for m in modules if m.startswith("engine.runtime"))
                 for name, modules in _engine_imports("widgets").items()}
    assert {k: v for k, v in offenders.items() if v} == {}
