"""The link stage: every cross-reference of a validated scenario is checked at start-up.

Actions exist and are called with the arguments their signatures take; every outcome is routed
and every route leads somewhere; templates and labels exist and use only variables the window
can provide; ids are valid and unique; callback data fits Telegram's 64 bytes once aiogram-dialog
adds its intent prefix; every window is reachable and none traps the user; ``counters.<id>`` and
``pages.<id>`` name widgets of the window; a /start handler exists.

After schema errors, the parts that validated are linked too (``broken``: the units the schema
refused, see :mod:`engine.scenario.salvage`), so that one run reports every problem; conclusions
about the whole scenario (reachability, a dialog that never finishes, /start) wait for it to be
whole when they could depend on a refused unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from engine.actions import ActionRegistry
from engine.diagnostics import Diagnostic, Diagnostics, did_you_mean, mention
from engine.scenario import schema as s
from engine.scenario.continuations import check_continuation
from engine.scenario.expressions import ExpressionChecker
from engine.scenario.link_calls import RENDER_BUILTINS, check_call
from engine.scenario.link_handlers import (
    CALLBACK_LIMIT,
    ITEM_ID_BYTES,
    check_handlers,
    check_messages,
    check_start,
)
from engine.scenario.loader import LoadedYaml
from engine.scenario.references import check_reads, widget_ids
from engine.scenario.salvage import is_under
from engine.scenario.targets import ID_PATTERN, KEYWORDS, all_targets, resolve_target
from engine.scenario.walk import YamlPath, action_calls, dialog_data_keys, widgets_of, windows_of
from engine.settings import parse_setting
from engine.templates import TemplateStore

__all__ = [
    "CALLBACK_LIMIT",
    "INTENT_PREFIX_BYTES",
    "ITEM_ID_BYTES",
    "RENDER_BUILTINS",
    "SYSTEM_LABELS",
    "LinkResult",
    "link",
]

INTENT_PREFIX_BYTES = 8  # aiogram-dialog: a base-62 intent id (<= 7 chars) + the 0x1D separator
SYSTEM_LABELS = ("engine.outdated", "engine.error")
#: warnings about the whole scenario, not drawn while parts of it were refused by the schema
_WHOLE_SCENARIO = frozenset({"unreachable-window", "then-never-taken"})


@dataclass
class LinkResult:
    diagnostics: list[Diagnostic]
    provides: dict[str, tuple[str, ...]] = field(default_factory=dict)


class _Linker:
    def __init__(
        self, scenario: s.Scenario, loaded: LoadedYaml, registry: ActionRegistry,
        store: TemplateStore, broken: frozenset[YamlPath] = frozenset(),
        loose: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.sc = scenario
        self.broken = broken
        self.loose = dict(loose or {})
        self.loaded = loaded
        self.registry = registry
        self.store = store
        self.out = Diagnostics()
        self.exprs = ExpressionChecker(store)
        self.provides = {n: registry.get(n).provides for n in registry.names()}  # type: ignore[union-attr]
        self.dialog_keys = dialog_data_keys(scenario, self.provides) | self.loose.get(
            "save_as", frozenset())
        for call in self.loose.get("call", frozenset()):
            self.dialog_keys.update(self.provides.get(call, ()))
        self.quiet = False
        #: the current window's counter and pager ids (None outside windows)
        self.widgets: dict[str, set[str]] | None = None
        self.failed_namespaces: set[str] = set()

    # ------------------------------------------------------------------ helpers

    def err(self, path: YamlPath, code: str, message: str, hint: str | None = None,
            *, key: bool = False) -> None:
        positions = self.loaded.positions
        if key:
            pos = positions.key(path) or positions.lookup(path)
        else:
            pos = positions.node(path) or positions.node(path[:-1]) or positions.lookup(path)
        self.out.error(pos.file, pos.line, pos.col, code, message, hint)

    def warn(self, path: YamlPath, code: str, message: str, hint: str | None = None) -> None:
        if self.broken and code in _WHOLE_SCENARIO:
            return
        pos = self.loaded.positions.lookup(path)
        self.out.warning(pos.file, pos.line, pos.col, code, message, hint)

    def need_label(self, key: str, path: YamlPath) -> None:
        if not self.store.has_label(key):
            self.err(path, "missing-label",
                     f"label '{key}' is not defined in labels.yaml of locale "
                     f"'{self.sc.default_locale}'{did_you_mean(key, self.store.label_keys())}")

    def need_template(self, name: str, path: YamlPath) -> bool:
        if self.store.has_template(name):
            return True
        self.err(path, "missing-template",
                 f"template '{name}' not found (expected {self.template_file(name)})"
                 f"{did_you_mean(name, self.store.template_names())}")
        return False

    def template_file(self, name: str) -> str:
        root = self.sc.templates or f"templates/{self.sc.scenario}"
        return f"{root}/{self.sc.default_locale}/{name}.html"

    def check_vars(self, used: Iterable[str], available: set[str], path: YamlPath,
                   what: str) -> None:
        if self.quiet:
            return
        for name in sorted(set(used) - available):
            self.err(path, "unknown-variable",
                     f"{what} uses '{name}', which neither the window's data nor its actions "
                     f"provide{did_you_mean(name, available)}")

    def check_expr(self, source: str, available: set[str], path: YamlPath, what: str) -> None:
        problem, used = self.exprs.check(source)
        if problem:
            self.err(path, "expression", f"{what}: {problem}")
            return
        self.check_vars(used, available, path, what)
        check_reads(self, source, path, what, expression=True)

    def check_target(self, target: str, dialog: str | None, path: YamlPath) -> None:
        if ("dialogs", target.partition(".")[0]) in self.broken:
            return  # a dialog the schema refused: its problems are reported already
        if resolve_target(self.sc, target, dialog) is None:
            if dialog is None and target in ("back", "done", "cancel"):
                self.err(path, "unknown-target", f"'{target}' only makes sense inside a dialog")
                return
            qualified = [f"{d}.{target}" for d, spec in self.sc.dialogs.items()
                         if target in spec.windows]
            hint = mention(qualified) if qualified else did_you_mean(
                target, all_targets(self.sc, dialog))
            self.err(path, "unknown-target", f"unknown target '{target}'{hint}")

    def check_route(self, route: s.Route, dialog: str | None, path: YamlPath) -> None:
        self.check_target(route.go, dialog, (*path, "go") if route.go != "stay" else path)
        if route.notice:
            self.need_label(route.notice, (*path, "notice"))
        if route.reply:
            self.need_template(route.reply, (*path, "reply"))
        if route.text:
            self.check_route_text(route, dialog, (*path, "text"))
        check_continuation(self, route, dialog, path)

    def check_route_text(self, route: s.Route, dialog: str | None, path: YamlPath) -> None:
        """``text:`` names a template the window the route leads to can render instead of its
        own (with that window's variables)."""
        assert route.text is not None
        if not self.need_template(route.text, path):
            return
        target = resolve_target(self.sc, route.go, dialog)
        if target is None or target.kind == "stay":
            return  # an unknown target is reported at 'go'; 'stay' keeps the window it is in
        if target.kind != "window" or target.dialog is None or target.window is None:
            self.err(path, "route-text",
                     f"'text' shows a window with another template, but '{route.go}' leads to "
                     "no window", "give 'text' to a route that goes to a window (or stays)")
            return
        scope = self.window_vars(self.sc.dialogs[target.dialog].windows[target.window])
        if scope is not None:
            self.check_vars(self.store.variables_of_template(route.text), scope, path,
                            f"template '{route.text}'")

    # ------------------------------------------------------------------ stages

    def run(self) -> LinkResult:
        self.check_ids()
        self.check_settings()
        for label in SYSTEM_LABELS:
            if not self.store.has_label(label):
                self.err(("scenario",), "missing-label",
                         f"system label '{label}' is not defined in labels.yaml of locale "
                         f"'{self.sc.default_locale}'",
                         "the engine shows it for stale buttons and unexpected errors")
        if self.sc.menu is not None:
            self.check_target(self.sc.menu, None, ("menu",))
        for did, dialog in self.sc.dialogs.items():
            if dialog.start is not None and dialog.start not in dialog.windows:
                self.err(("dialogs", did, "start"), "unknown-target",
                         f"start window '{dialog.start}' is not a window of dialog '{did}'"
                         f"{did_you_mean(dialog.start, dialog.windows)}")
        for site in action_calls(self.sc):
            if is_under(site.path, self.broken):
                continue
            window = self.sc.dialogs[site.dialog].windows[site.window] \
                if site.dialog and site.window else None
            self.widgets = widget_ids(window) if window else None
            check_call(self, site)
        for did, wid, window, wpath in windows_of(self.sc):
            if not is_under(wpath, self.broken):
                self.widgets = widget_ids(window)
                self.check_window(did, wid, window, wpath)
        self.widgets = None
        check_handlers(self)
        check_messages(self)
        check_start(self)
        if not self.broken:
            self.check_reachability()
        return LinkResult(self.out.sorted(), self.provides)

    def check_ids(self) -> None:
        for did, dialog in self.sc.dialogs.items():
            self.check_id(did, ("dialogs", did), "dialog")
            for wid in dialog.windows:
                self.check_id(wid, ("dialogs", did, "windows", wid), "window")
                if wid in KEYWORDS:
                    self.err(("dialogs", did, "windows", wid), "invalid-id",
                             f"'{wid}' is a navigation keyword and cannot name a window", key=True)
        if not ID_PATTERN.match(self.sc.scenario):
            self.err(("scenario",), "invalid-id",
                     f"scenario id '{self.sc.scenario}' must match {ID_PATTERN.pattern}")

    def check_id(self, ident: str, path: YamlPath, what: str, *, key: bool = True) -> None:
        if not ID_PATTERN.match(ident):
            self.err(path, "invalid-id",
                     f"{what} id '{ident}' must start with a letter and use only letters, digits "
                     f"and '_' (at most 32)", key=key)

    def check_settings(self) -> None:
        for name, spec in self.sc.settings.items():
            if spec.default is not None:
                try:
                    parse_setting(name, spec.type, spec.default)
                except Exception as exc:
                    self.err(("settings", name, "default"), "invalid-default", str(exc))

    def check_expr_or_template(self, value: str, available: set[str], path: YamlPath,
                               what: str) -> None:
        problem, used = self.exprs.check_template(value)
        if problem:
            self.err(path, "expression", f"{what}: {problem}")
            return
        self.check_vars(used, available, path, what)
        check_reads(self, value, path, what, expression=False)

    def window_vars(self, window: s.WindowSpec) -> set[str] | None:
        """What the window's templates may use; None when its load action is unknown (reported
        already: checking its variables would only repeat the problem)."""
        scope = set(RENDER_BUILTINS) | self.dialog_keys
        if window.load is not None:
            spec = self.registry.get(window.load.call)
            if spec is None:
                return None
            scope |= set(spec.provides)
        return scope

    def check_window(self, did: str, wid: str, window: s.WindowSpec, wpath: YamlPath) -> None:
        known = self.window_vars(window)
        self.quiet = known is None
        scope = known if known is not None else set()
        if self.need_template(window.text, (*wpath, "text")):
            self.check_vars(self.store.variables_of_template(window.text), scope,
                            (*wpath, "text"), f"template '{window.text}'")
        if window.media is not None:
            media = window.media
            if media.url is not None:
                self.check_expr_or_template(media.url, scope, (*wpath, "media", "url"), "media url")
            if media.data is not None and media.data not in scope:
                self.err((*wpath, "media", "data"), "unknown-variable",
                         f"media data '{media.data}' is not provided by the window's actions"
                         f"{did_you_mean(media.data, scope)}")
            if media.when:
                self.check_expr(media.when, scope, (*wpath, "media", "when"), "condition")
        if window.placeholder:
            self.need_label(window.placeholder, (*wpath, "placeholder"))
        self.check_widgets(did, window, wpath, scope)
        self.check_input(did, window, wpath)
        if window.skip is not None:  # evaluated where a route leads here: no load data yet
            self.check_expr(window.skip.when, set(RENDER_BUILTINS) | self.dialog_keys,
                            (*wpath, "skip", "when"), "skip condition")
            self.check_target(window.skip.go, did, (*wpath, "skip", "go"))

    def check_widgets(self, did: str, window: s.WindowSpec, wpath: YamlPath,
                      scope: set[str]) -> None:
        seen: dict[str, YamlPath] = {}
        reply_only = False
        has_way_out = False
        for widget, path in widgets_of(window.keyboard, (*wpath, "keyboard")):
            if widget.id is not None:
                self.check_id(widget.id, (*path, "id"), "widget", key=False)
                if widget.id in seen:
                    first = self.loaded.positions.lookup((*seen[widget.id], "id"))
                    self.err((*path, "id"), "duplicate-id",
                             f"widget id '{widget.id}' is already used in this window "
                             f"(line {first.line})")
                else:
                    seen[widget.id] = path
                if len(widget.id.encode()) + INTENT_PREFIX_BYTES > CALLBACK_LIMIT:
                    self.err((*path, "id"), "callback-too-long",
                             f"callback data for '{widget.id}' can exceed {CALLBACK_LIMIT} bytes")
            if widget.when:
                self.check_expr(widget.when, scope, (*path, "when"), "condition")
            widget.link(self, path, did, scope)
            reply_only = reply_only or widget.reply_only
            has_way_out = has_way_out or widget.way_out
        if reply_only and window.markup == "inline":
            self.err((*wpath, "markup"), "reply-only",
                     "contact and location buttons only work in a reply keyboard; "
                     "remove 'markup: inline'")
        self._way_out = has_way_out

    def need_pager_labels(self, path: YamlPath) -> None:
        for key in ("pager.prev", "pager.next", "pager.page"):
            self.need_label(key, path)

    def need_id(self, ident: str | None, path: YamlPath, what: str) -> None:
        if ident is None:
            self.err(path, "missing-key", f"missing required key 'id' in this '{what}' widget")

    def check_label(self, key: str, scope: set[str], path: YamlPath) -> None:
        if self.store.has_label(key):
            self.check_vars(self.store.variables_of_label(key), scope, path, f"label '{key}'")
        else:
            self.need_label(key, path)

    def check_input(self, did: str, window: s.WindowSpec, wpath: YamlPath) -> None:
        spec = window.input
        if spec is None:
            return
        ipath = (*wpath, "input")
        self.need_label(spec.invalid, (*ipath, "invalid"))
        spec.link(self, ipath)
        if spec.go is not None and spec.action is not None:
            self.err(ipath, "ambiguous-input", "an input takes 'go' or 'action', not both")
        if spec.go is not None:
            self.check_target(spec.go, did, (*ipath, "go"))
        if spec.go is None and spec.action is None and not self._way_out:
            self.err(ipath, "dead-end",
                     "this window waits for input but neither the input ('go'/'action') nor a "
                     "button leads anywhere", "add 'go: <target>' to the input or a button",
                     key=True)

    def check_reachability(self) -> None:
        from engine.scenario.graph import reachable_windows  # local: graph imports linker names

        reached = reachable_windows(self.sc)
        for did, wid, _window, wpath in windows_of(self.sc):
            if (did, wid) not in reached:
                self.warn(wpath, "unreachable-window",
                          f"window '{did}.{wid}' cannot be reached from the menu or any handler")


def link(
    scenario: s.Scenario, loaded: LoadedYaml, registry: ActionRegistry, store: TemplateStore,
    *, failed_namespaces: Iterable[str] = (), broken: frozenset[YamlPath] = frozenset(),
    loose: Mapping[str, frozenset[str]] | None = None,
) -> LinkResult:
    """Check every cross-reference; ``broken`` units (refused by the schema) are not checked
    and ``loose`` holds what they named (:class:`engine.scenario.salvage.Salvaged`)."""
    linker = _Linker(scenario, loaded, registry, store, broken, loose)
    linker.failed_namespaces = set(failed_namespaces)
    return linker.run()
