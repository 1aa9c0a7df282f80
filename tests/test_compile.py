"""The compile stage: a linked scenario -> a CompiledBot value, as often as needed (hot reload,
many bots per process)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from engine.compile.bot import CompiledBot, compile_bot
from engine.playground.botapi import BotApiEmulator, EmulatorSession
from engine.runtime.app import build_app, make_bot
from engine.runtime.storage import create_storage
from engine.scenario.pipeline import ScenarioBundle, load_bundle
from engine.testing import TOKEN, Playground, SandboxClock

KITCHEN = Path(__file__).parent / "fixtures" / "kitchen" / "kitchen.yaml"


def kitchen() -> ScenarioBundle:
    bundle, problems = load_bundle(KITCHEN)
    assert bundle is not None, problems
    return bundle


@contextlib.asynccontextmanager
async def serving(bundle: ScenarioBundle, compiled: CompiledBot) -> AsyncIterator[Playground]:
    """A dispatcher of its own (its own Bot API emulator) built from ``compiled``."""
    emulator = BotApiEmulator()
    account = emulator.add_bot(TOKEN, username="kitchen_bot")
    bot = make_bot(TOKEN, session=EmulatorSession(emulator))
    storage = await create_storage(None)
    app = await build_app(bundle, bot, storage, environ={}, compiled=compiled,
                          clock=SandboxClock())
    play = Playground(emulator, app, account, "memory", app.runtime.clock)
    try:
        yield play
    finally:
        await play.close()


def test_compiling_again_makes_new_dialogs_and_routers_with_the_same_states() -> None:
    bundle = kitchen()
    first = compile_bot(bundle.scenario, bundle.registry, bundle.store)
    second = compile_bot(bundle.scenario, bundle.registry, bundle.store)
    assert first.handlers is not second.handlers
    assert not set(map(id, first.dialogs)) & set(map(id, second.dialogs))
    assert [s.state for s in first.states.states.values()] == \
        [s.state for s in second.states.states.values()]
    assert first.commands == second.commands
    assert first.jobs.keys() == second.jobs.keys()


async def test_two_bots_compiled_from_one_scenario_in_one_process_both_answer() -> None:
    bundle = kitchen()
    first, second = (compile_bot(bundle.scenario, bundle.registry, bundle.store)
                     for _ in range(2))
    async with serving(bundle, first) as one, serving(bundle, second) as two:
        assert one.app.states is first.states
        assert two.app.states is second.states
        ann, bob = one.user("Ann"), two.user("Bob")
        await ann.send("/start")
        await bob.send("/start")
        assert ann.texts()
        assert ann.texts() == bob.texts()
        assert ann.buttons()
        assert ann.buttons() == bob.buttons()
        await ann.click(ann.buttons()[0])
        await bob.click(bob.buttons()[0])
        assert len(ann.texts()) == len(bob.texts())
        assert ann.texts()[-1] == bob.texts()[-1]
        assert one.rejected_calls() == []
        assert two.rejected_calls() == []
