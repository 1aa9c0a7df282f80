"""load -> schema -> link, for one scenario file: the ``check`` command and start-up share it.

Schema errors do not end the run: the parts that validated are linked as well
(:mod:`engine.scenario.salvage`), so one run reports every problem it can find.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.actions import ActionRegistry
from engine.diagnostics import Diagnostic, Diagnostics
from engine.errors import EngineError
from engine.scenario.linker import link
from engine.scenario.loader import LoadedYaml, load_yaml_file
from engine.scenario.registry import KindRegistry
from engine.scenario.route_sets import anchor_warnings, expand_route_sets
from engine.scenario.salvage import Salvaged, salvage
from engine.scenario.schema import Scenario
from engine.scenario.validate import validate_scenario
from engine.templates import TemplateStore
from engine.templates.cache import CompileCache

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
    #: the widget and input kinds the scenario was checked with
    kinds: KindRegistry | None = None


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


LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_LOADER_CODES = frozenset({"yaml-syntax", "yaml-tag", "key-type", "duplicate-key", "yaml-merge",
                           "unknown-route-set"})


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _quiet_cascades(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop problems reported at the very place the YAML loader already reported one: they
    follow from it (an unquoted ``{{ x }}`` read as a mapping is also "not an integer")."""
    loader_spots = {(d.file, d.line) for d in diagnostics if d.code in _LOADER_CODES}
    return [d for d in diagnostics
            if d.code in _LOADER_CODES or (d.file, d.line) not in loader_spots]


def load_bundle(path: Path, root: Path | None = None, *, kinds: KindRegistry | None = None,
                template_cache: CompileCache | None = None,
                ) -> tuple[ScenarioBundle | None, list[Diagnostic]]:
    """Run every start-up check on one scenario. Returns the bundle only when no errors.

    ``template_cache``: compiled templates of an earlier load of the same files (the
    playground's live reload passes one, so only changed sources compile again).

    ``kinds``: the widget and input kinds the scenario may use; by default the built-in ones
    (``engine.kinds``: this is the one place the scenario stages name them)."""
    if kinds is None:
        from engine.kinds import builtin_kinds  # the kinds' builders sit above this stage

        kinds = builtin_kinds()
    out = Diagnostics()
    root = root or find_project_root(path)
    loaded, problems = load_yaml_file(path, _display(path))
    out.extend(problems)
    if loaded is None:
        return None, out.sorted()
    out.extend(anchor_warnings(loaded))
    expanded = expand_route_sets(loaded)
    loaded = expanded.loaded
    out.extend(expanded.diagnostics)
    scenario, problems = validate_scenario(loaded, kinds)
    out.extend(problems)
    partial: Salvaged | None = None
    if scenario is None:
        partial = salvage(loaded.data, kinds.scenario_model)
        if partial is None:
            return None, out.sorted()
        scenario = partial.scenario
    registry = ActionRegistry()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    failed = {str(unit[1]) for unit in partial.broken if unit[0] == "actions" and len(unit) == 2} \
        if partial else set()
    for namespace, dotted in scenario.actions.items():
        try:
            registry.add_package(namespace, dotted)
        except Exception as exc:  # any import-time failure of user code is a diagnostic
            failed.add(namespace)
            pos = loaded.positions.node(("actions", namespace)) or loaded.positions.lookup(
                ("actions", namespace))
            out.error(pos.file, pos.line, pos.col, "action-import",
                      f"cannot import action package '{dotted}': {exc.__class__.__name__}: {exc}")
    bad_locales = False
    for index, locale in enumerate(scenario.locales):
        if not LOCALE.match(locale):
            bad_locales = True
            pos = loaded.positions.node(("locales", index)) or loaded.positions.lookup(("locales",))
            out.error(pos.file, pos.line, pos.col, "invalid-locale",
                      f"invalid locale '{locale}': expected a code like 'ru' or 'en-US'")
    if bad_locales:
        return None, _quiet_cascades(out.sorted())
    template_dir = _relative(root / (scenario.templates or f"templates/{scenario.scenario}"))
    try:
        store, problems = TemplateStore.load(
            template_dir.parent, template_dir.name, scenario.locales, scenario.default_locale,
            cache=template_cache,
        )
    except EngineError as exc:
        pos = loaded.positions.lookup(("templates",))
        out.error(pos.file, pos.line, pos.col, "template-dir", str(exc))
        return None, _quiet_cascades(out.sorted())
    out.extend(problems)
    linked = link(scenario, loaded, registry, store, failed_namespaces=failed,
                  broken=partial.broken if partial else frozenset(),
                  loose=partial.loose if partial else None)
    out.extend(d for d in linked.diagnostics
               if d.code != "unrouted-outcome" or (d.line, d.col) not in expanded.unresolved)
    diagnostics = _quiet_cascades(out.sorted())
    if out.has_errors:
        return None, diagnostics
    bundle = ScenarioBundle(path, root, loaded, scenario, registry, store, tuple(diagnostics),
                            kinds)
    return bundle, diagnostics
