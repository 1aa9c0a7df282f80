"""The whole bot as one value: ``compile_bot(scenario, registry, store) -> CompiledBot``.

Pure construction: no Bot, no storage, no environment. Each call builds new aiogram routers and
aiogram-dialog dialogs (a router joins one dispatcher only), so the same scenario compiles again
for a hot reload or for another bot in the same process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiogram import Router
from aiogram_dialog import Dialog

from engine.actions import ActionRegistry
from engine.compile.dialogs import DialogCompiler
from engine.compile.handlers import build_handlers
from engine.compile.values import CompiledCall, CompiledJob, CompiledRoute, StateMap
from engine.scenario import schema as s
from engine.scenario.positions import Positions
from engine.scenario.targets import resolve_target
from engine.templates import TemplateStore

__all__ = ["CommandMenu", "CompiledBot", "compile_bot"]

#: chat kind (``private``, ``group``) -> the commands listed in its menu
CommandMenu = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class CompiledBot:
    scenario: s.Scenario
    dialogs: tuple[Dialog, ...]
    #: included before the dialogs: commands, callbacks, replies, text patterns
    handlers: Router
    #: included after the dialogs: messages neither a handler nor a dialog took
    fallbacks: Router
    jobs: Mapping[str, CompiledJob]
    commands: CommandMenu
    states: StateMap


def compile_bot(scenario: s.Scenario, registry: ActionRegistry, store: TemplateStore,
                positions: Positions | None = None) -> CompiledBot:
    """Compile a linked scenario (its actions in ``registry``, its texts in ``store``);
    ``positions`` (where the loader found each value) give every call, route, handler and job
    the ``file:line:col`` a run-time failure names."""
    compiler = DialogCompiler(scenario, registry, store, positions)
    dialogs = tuple(compiler.dialogs())
    calls: dict[int, CompiledCall] = {}
    routes: dict[int, CompiledRoute] = {}
    where = {index: compiler.where.at(("handlers", index))
             for index in range(len(scenario.handlers))}
    for index, handler in enumerate(scenario.handlers):
        if handler.action is not None:
            calls[index] = compiler.call(handler.action, None)
        if handler.go is not None:
            target = resolve_target(scenario, handler.go, None)
            assert target is not None, f"unlinked target {handler.go!r}"
            routes[index] = CompiledRoute(target, where=compiler.where.at(("handlers", index,
                                                                           "go")))
    jobs = {name: CompiledJob(name, job.every, compiler.call(job.action, None),
                              where=compiler.where.at(("jobs", name)))
            for name, job in scenario.jobs.items()}
    before, after = build_handlers(scenario, calls, routes, compiler.states, where)
    return CompiledBot(scenario, dialogs, before, after, jobs, _command_menu(scenario, store),
                       compiler.states)


def _command_menu(scenario: s.Scenario, store: TemplateStore) -> CommandMenu:
    """A command is listed when the scenario defines its label ``commands.<name>``; private-chat
    commands in the private menu, group commands in the group menu (``any``: both)."""
    menu: dict[str, tuple[str, ...]] = {}
    for kind in ("private", "group"):
        commands = [(h.kind.command_name(h), h.chat) for h in scenario.handlers]
        found = [c for c, chat in commands if c is not None and chat in (kind, "any")
                 and store.has_label(f"commands.{c}")]
        menu[kind] = tuple(dict.fromkeys(found))
    return menu
