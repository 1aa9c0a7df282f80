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


ACTIONS = ENGINE.parent / "actions"
MODULE_CAP = 400


def test_engine_and_actions_modules_stay_under_the_cap_with_no_exceptions() -> None:
    """A module holds one concept; past 400 lines it holds two (split it by concept)."""
    sizes = {str(p.relative_to(ENGINE.parent)): len(p.read_text(encoding="utf-8").splitlines())
             for root in (ENGINE, ACTIONS) for p in root.rglob("*.py")}
    assert len(sizes) > 100  # both trees were read
    too_big = {name: n for name, n in sizes.items() if n > MODULE_CAP}
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


# The stages, in order: a module never imports one of a later stage.
STAGES: dict[str, int] = {
    **dict.fromkeys(("engine.scenario.positions", "engine.scenario.yaml_syntax",
                     "engine.scenario.loader", "engine.scenario.route_sets",
                     "engine.scenario.units"), 0),  # load: text -> data + positions
    **dict.fromkeys(("engine.scenario.calls", "engine.scenario.schema", "engine.scenario.kinds",
                     "engine.scenario.registry", "engine.scenario.validate",
                     "engine.scenario.salvage", "engine.scenario.walk", "engine.scenario.targets",
                     "engine.scenario.expressions"), 1),  # schema: data -> models
    **dict.fromkeys(("engine.scenario.linker", "engine.scenario.link_calls",
                     "engine.scenario.link_handlers", "engine.scenario.references",
                     "engine.scenario.continuations", "engine.scenario.graph"), 2),  # link
    "engine.scenario.pipeline": 2,  # load -> schema -> link for one file
    "engine.compile": 3, "engine.widgets": 3, "engine.kinds": 3,  # compile: models -> values
    "engine.runtime": 4,
}
STAGE_NAMES = ("load", "schema", "link", "compile", "runtime")
#: the one arrow up: load_bundle's default registry is the built-in kinds (engine/kinds), whose
#: builders belong to the compile stage; every other stage takes the registry as a value
COMPOSITION = {("engine.scenario.pipeline", "engine.kinds")}


def stage_of(module: str) -> tuple[str, int] | None:
    for prefix in sorted(STAGES, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, STAGES[prefix]
    return None


def test_every_scenario_module_has_a_stage() -> None:
    modules = {f"engine.scenario.{p.stem}" for p in (ENGINE / "scenario").glob("*.py")
               if p.stem != "__init__"}
    staged = {m: stage_of(m) for m in modules}
    assert {m for m, stage in staged.items() if stage is None or stage[0] != m} == set()


def test_the_stages_import_only_earlier_or_their_own() -> None:
    """load -> schema -> link -> compile -> runtime: no arrow runs back up."""
    offenders: list[str] = []
    for path in ENGINE.rglob("*.py"):
        name = "engine." + ".".join(path.relative_to(ENGINE).with_suffix("").parts)
        here = stage_of(name.removesuffix(".__init__"))
        if here is None:
            continue
        for module in imported_modules(path):
            there = stage_of(module)
            if there is None or there[1] <= here[1] or (here[0], there[0]) in COMPOSITION:
                continue
            offenders.append(f"{name} ({STAGE_NAMES[here[1]]}) imports {module} "
                             f"({STAGE_NAMES[there[1]]})")
    assert offenders == []


def test_the_kinds_are_a_value_defined_without_side_effects() -> None:
    """engine/kinds (and engine/kinds/handlers): one module per kind, classes and functions
    only; no registry at import."""
    for path in (ENGINE / "kinds").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [node for node in tree.body if isinstance(node, ast.Expr | ast.Assign)
                 and any(isinstance(n, ast.Call) for n in ast.walk(node))]
        assert calls == [], path.name
