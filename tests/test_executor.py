"""The one executor of outcomes: dialogs, handlers and jobs run an action, check its result and
follow the route of its outcome through engine.runtime.executor, each on its own surface."""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from engine.actions import ActionContext, ActionSpec, Result
from engine.compile import executors
from engine.compile.values import CompiledCall, CompiledRoute
from engine.errors import FlowError
from engine.runtime import flow, handlers, jobs
from engine.runtime.executor import Surface, execute, follow
from engine.scenario.targets import Target

CART = Target("window", "shop", "cart")


class Recording:
    """A surface that writes down what it is asked to do, in order."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Any]] = []

    def absorb(self, data: Mapping[str, Any]) -> None:
        self.steps.append(("absorb", dict(data)))

    def label(self, key: str) -> str:
        return f"label:{key}"

    def render(self, template: str) -> str:
        return f"render:{template}"

    async def notice(self, text: str | None) -> None:
        self.steps.append(("notice", text))

    async def show_reply(self, text: str) -> None:
        self.steps.append(("reply", text))

    async def go(self, route: CompiledRoute) -> None:
        self.steps.append(("go", route.target))


def a_call(result: object, routes: Mapping[str, CompiledRoute]) -> CompiledCall:
    async def add(ctx: ActionContext) -> Any:
        return result

    spec = ActionSpec("shop.add", add, {}, {}, ("added", "out_of_stock"), (), "tests")
    return CompiledCall(spec, {}, routes)


ADDED = CompiledRoute(CART, notice="cart.added", reply="cart/added.html")


async def test_a_routed_outcome_keeps_the_data_then_notice_reply_and_target_in_order() -> None:
    surface = Recording()
    call = a_call(Result("added", {"qty": 2}), {"added": ADDED})
    result = await execute(call, {}, None, surface)  # type: ignore[arg-type]
    assert result.outcome == "added"
    assert surface.steps == [("absorb", {"qty": 2}), ("notice", "label:cart.added"),
                             ("reply", "render:cart/added.html"), ("go", CART)]


async def test_an_unrouted_outcome_takes_the_callers_default_route() -> None:
    call = a_call(Result("out_of_stock"), {"added": ADDED})
    handler_like, dialog_like = Recording(), Recording()
    await execute(call, {}, None, handler_like)  # type: ignore[arg-type]
    stay = CompiledRoute(Target("stay"))
    await execute(call, {}, None, dialog_like, unrouted=stay)  # type: ignore[arg-type]
    # a handler answers its button silently; a dialog stays on the window
    assert handler_like.steps == [("absorb", {}), ("notice", None)]
    assert dialog_like.steps == [("absorb", {}), ("notice", None), ("go", Target("stay"))]


@pytest.mark.parametrize(("result", "message"), [
    (Result("sold"), "undeclared outcome 'sold'"),
    ({"outcome": "added"}, "returned dict, not a Result"),
])
async def test_a_result_outside_the_contract_is_refused_with_or_without_a_surface(
    result: object, message: str,
) -> None:
    call = a_call(result, {"added": ADDED})
    for surface in (Recording(), None):
        with pytest.raises(FlowError, match=message):
            await execute(call, {}, None, surface)  # type: ignore[arg-type]
        if surface is not None:
            assert surface.steps == []


async def test_a_failing_call_logs_one_line_naming_its_place_in_the_scenario(
        caplog: pytest.LogCaptureFixture) -> None:
    call = dataclasses.replace(a_call(Result("sold"), {"added": ADDED}),
                               where="shop.yaml:12:15")
    with caplog.at_level(logging.WARNING), pytest.raises(FlowError) as caught:
        await execute(call, {}, None, Recording())  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        "shop.yaml:12:15: action shop.add failed: FlowError: action shop.add returned "
        "undeclared outcome 'sold' (declared: added, out_of_stock)"]
    assert "in action shop.add called at shop.yaml:12:15" in caught.value.__notes__


async def test_a_route_without_an_action_is_followed_the_same_way() -> None:
    surface = Recording()
    await follow(ADDED, surface)
    assert surface.steps == [("notice", "label:cart.added"),
                             ("reply", "render:cart/added.html"), ("go", CART)]


def test_dialogs_and_handlers_follow_routes_on_surfaces_of_one_contract() -> None:
    members = {name for name, _ in inspect.getmembers(Surface) if not name.startswith("_")}
    for surface in (flow.DialogSurface, handlers._HandlerSurface):
        assert members <= set(dir(surface)), surface


@pytest.mark.parametrize("module", [flow, handlers, jobs])
def test_no_caller_runs_an_action_or_checks_an_outcome_itself(module: object) -> None:
    source = inspect.getsource(module)  # type: ignore[arg-type]
    assert ".spec.func(" not in source
    assert "check_result" not in source


def test_the_runtime_implements_the_protocols_the_compiled_bot_calls() -> None:
    """Compiled dialogs, widgets and handlers reach the runtime only through
    engine.compile.executors; the runtime's classes offer every member they call."""
    for protocol, implementation in ((executors.DialogFlowProtocol, flow.DialogFlow),
                                     (executors.HandlerExecutorProtocol,
                                      handlers.HandlerExecutor)):
        members = {name for name, _ in inspect.getmembers(protocol) if not name.startswith("_")}
        assert members
        assert members <= set(dir(implementation)), implementation
