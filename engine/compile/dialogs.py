"""Compiling dialogs: a linked scenario -> aiogram-dialog Dialogs, their calls and the state map.

Pure construction: no files, no environment, no network. States are named
``<scenario>.<dialog>:<window>`` so they stay stable across edits and restarts.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Keyboard
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from pydantic import TypeAdapter
from pydantic.errors import PydanticSchemaGenerationError, PydanticUndefinedAnnotation

from engine.actions import ActionRegistry
from engine.compile.executors import flow_of
from engine.compile.positions import call_positions
from engine.compile.values import CompiledCall, CompiledRoute, StateMap
from engine.scenario import schema as s
from engine.scenario.expressions import Evaluator, compile_condition, compile_value
from engine.scenario.positions import Positions
from engine.scenario.targets import AGAIN, Target, menu_target, resolve_target, start_window
from engine.scenario.walk import widgets_of
from engine.templates import TemplateStore
from engine.widgets.inputs import InputRule, build_input, wrong_kind_input
from engine.widgets.text import LabelText, TemplateMedia, TemplateText, predicate

__all__ = ["DialogCompiler", "state_group_name"]


def state_group_name(scenario_id: str, dialog_id: str) -> str:
    return f"{scenario_id}.{dialog_id}"


def _states_group(scenario_id: str, dialog_id: str, windows: list[str]) -> type[StatesGroup]:
    name = state_group_name(scenario_id, dialog_id)
    namespace: dict[str, Any] = {w: State() for w in windows}
    namespace["__qualname__"] = name
    return type(name, (StatesGroup,), namespace)


class DialogCompiler:
    """Builds one scenario's dialogs; every call it compiles is kept in its state map."""

    def __init__(self, scenario: s.Scenario, registry: ActionRegistry,
                 store: TemplateStore, positions: Positions | None = None) -> None:
        self.sc = scenario
        self.registry = registry
        self.store = store
        #: ``file:line:col`` of each call (by its spec object) and of each of its routes
        self.where = call_positions(scenario, positions)
        groups = {
            did: _states_group(scenario.scenario, did, list(d.windows))
            for did, d in scenario.dialogs.items()
        }
        states = {
            (did, wid): getattr(group, wid)
            for did, group in groups.items() for wid in scenario.dialogs[did].windows
        }
        menu = menu_target(scenario) or Target("window", next(iter(scenario.dialogs)), None)
        menu_state = states[(menu.dialog or "", menu.window or start_window(scenario, menu.dialog or ""))]
        scoped = {
            state_group_name(scenario.scenario, did): tuple(
                data for window in scenario.dialogs[did].windows.values()
                for w in _flat(window.keyboard) for data in w.widget_data() if data.scope
            )
            for did in scenario.dialogs
        }
        fresh = {
            (did, wid): tuple(data.key for w in _flat(window.keyboard) for data in w.widget_data())
            for did, d in scenario.dialogs.items() for wid, window in d.windows.items()
        }
        self.calls: dict[str, CompiledCall] = {}
        skips = {
            (did, wid): (compile_condition(store, window.skip.when),
                         self._target(window.skip.go, did))
            for did, d in scenario.dialogs.items() for wid, window in d.windows.items()
            if window.skip is not None
        }
        self.states = StateMap(states, menu_state, scoped, fresh, self.calls, skips)
        self.groups = groups

    # ------------------------------------------------------------------ pieces

    def _target(self, go: str, dialog: str) -> Target:
        target = resolve_target(self.sc, go, dialog)
        assert target is not None, f"unlinked target {go!r}"
        return target

    def route(self, route: s.Route, dialog: str | None, where: str = "") -> CompiledRoute:
        target = resolve_target(self.sc, route.go, dialog)
        assert target is not None, f"unlinked target {route.go!r}"
        then = None
        if route.then is not None and route.then != AGAIN and dialog is not None:
            then = resolve_target(self.sc, route.then, dialog)
        return CompiledRoute(target, route.notice, route.reply, then, route.then == AGAIN,
                             where=where, text=route.text)

    def call(self, call: s.ActionCall, dialog: str | None) -> CompiledCall:
        spec = self.registry.get(call.call)
        assert spec is not None, f"unlinked action {call.call!r}"
        adapters: dict[str, TypeAdapter[Any]] = {}
        for name in call.args:
            annotation = spec.annotations.get(name)
            if annotation is not None and annotation is not Any:
                try:
                    adapters[name] = TypeAdapter(annotation)
                except (PydanticSchemaGenerationError, PydanticUndefinedAnnotation):
                    continue  # check warned (unchecked-argument): its values pass unchecked
        content = f"{dialog}|{call.model_dump_json()}".encode()
        compiled = CompiledCall(
            spec=spec,
            args={k: compile_value(self.store, v) for k, v in call.args.items()},
            routes={o: self.route(r, dialog, self.where.route(call, o))
                    for o, r in call.on.items()},
            adapters=adapters,
            key=f"{dialog}:{hashlib.sha256(content).hexdigest()[:16]}",
            where=self.where.call(call),
        )
        self.calls[compiled.key] = compiled
        return compiled

    def when(self, source: str | None) -> Any:
        return predicate(compile_condition(self.store, source) if source else None)

    def expression(self, source: str) -> Evaluator:
        return compile_condition(self.store, source)

    def value(self, source: str) -> Evaluator:
        return compile_value(self.store, source)

    def widget(self, widget: s.WidgetBase, dialog: str) -> Keyboard:
        """The aiogram-dialog widget of a keyboard widget: its kind builds it."""
        return widget.build(self, dialog)

    def window(self, did: str, wid: str, spec: s.WindowSpec) -> Window:
        widgets: list[Any] = [TemplateText(spec.text)]
        if spec.media is not None:
            url = compile_value(self.store, spec.media.url) if spec.media.url else None
            widgets.append(TemplateMedia(url, spec.media.data, when=self.when(spec.media.when)))
        widgets.extend(self.widget(w, did) for w in spec.keyboard)
        if spec.input is not None:
            target = self.route(s.Route(go=spec.input.go), did) if spec.input.go else None
            call = self.call(spec.input.action, did) if spec.input.action else None
            widgets.append(build_input(InputRule(spec.input, did, call, target)))
            widgets.append(wrong_kind_input(spec.input.invalid))
        reply = spec.markup == "reply" or (spec.markup is None and any(
            w.reply_only for w in _flat(spec.keyboard)))
        factory = None
        if reply:
            placeholder = LabelText(spec.placeholder) if spec.placeholder else None
            factory = ReplyKeyboardFactory(resize_keyboard=True,
                                           input_field_placeholder=placeholder)
        load = self.call(spec.load, did) if spec.load else None
        kwargs: dict[str, Any] = {"markup_factory": factory} if factory else {}
        return Window(*widgets, state=self.states[(did, wid)], getter=_getter(load), **kwargs)

    def dialogs(self) -> list[Dialog]:
        out = []
        for did, dialog in self.sc.dialogs.items():
            first = start_window(self.sc, did)
            order = [first] + [w for w in dialog.windows if w != first]
            windows = [self.window(did, wid, dialog.windows[wid]) for wid in order]
            out.append(Dialog(*windows, name=state_group_name(self.sc.scenario, did),
                              on_process_result=_resume))
        return out


def _flat(widgets: list[s.WidgetBase]) -> list[s.WidgetBase]:
    return [widget for widget, _path in widgets_of(widgets, ())]


def _getter(load: CompiledCall | None) -> Any:
    async def getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
        return await flow_of(dialog_manager).load(dialog_manager, load)

    return getter


async def _resume(start_data: Any, result: Any, manager: DialogManager) -> None:
    await flow_of(manager).resume(start_data, result, manager)
