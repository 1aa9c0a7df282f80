"""load -> schema -> link, for one scenario file: the ``check`` command and start-up share it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from engine.actions import ActionRegistry
from engine.diagnostics import Diagnostic, Diagnostics
from engine.scenario.linker import link
from engine.scenario.loader import LoadedYaml, load_yaml_file
from engine.scenario.schema import Scenario
from engine.scenario.validate import validate_scenario
from engine.templates import TemplateStore

__all__ = ["ScenarioBundle", "find_project_root", "load_bundle"]


@dataclass(frozen=True)
class ScenarioBundle:
    """A scenario that passed every check, with what it was checked against."""

    path: Path
    root: Path
    loaded: LoadedYaml
    scenario: Scenario
    registry: ActionRegistry
    store: TemplateStore
    warnings: tuple[Diagnostic, ...]


def find_project_root(path: Path) -> Path:
    """The project folder of a scenario: the nearest folder above it with pyproject.toml, else
    the nearest with a ``templates/`` folder, else the scenario's own folder."""
    parents = [path.resolve().parent, *path.resolve().parents]
    for marker in ("pyproject.toml", "templates"):
        for parent in parents:
            if (parent / marker).exists():
                return parent
    return path.resolve().parent


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_bundle(path: Path, root: Path | None = None) -> tuple[ScenarioBundle | None, list[Diagnostic]]:
    """Run every start-up check on one scenario. Returns the bundle only when no errors."""
    out = Diagnostics()
    root = root or find_project_root(path)
    loaded, problems = load_yaml_file(path, _display(path))
    out.extend(problems)
    if loaded is None:
        return None, out.sorted()
    scenario, problems = validate_scenario(loaded)
    out.extend(problems)
    if scenario is None:
        return None, out.sorted()
    registry = ActionRegistry()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    for namespace, dotted in scenario.actions.items():
        try:
            registry.add_package(namespace, dotted)
        except Exception as exc:  # any import-time failure of user code is a diagnostic
            pos = loaded.positions.lookup(("actions", namespace))
            out.error(pos.file, pos.line, pos.col, "action-import",
                      f"cannot import action package '{dotted}': {exc.__class__.__name__}: {exc}")
    template_dir = root / (scenario.templates or f"templates/{scenario.scenario}")
    store, problems = TemplateStore.load(
        template_dir.parent, template_dir.name, scenario.locales, scenario.default_locale,
    )
    out.extend(problems)
    linked = link(scenario, loaded, registry, store)
    out.extend(linked.diagnostics)
    diagnostics = out.sorted()
    if out.has_errors:
        return None, diagnostics
    bundle = ScenarioBundle(path, root, loaded, scenario, registry, store, tuple(diagnostics))
    return bundle, diagnostics
