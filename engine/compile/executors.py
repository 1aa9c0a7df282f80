"""What compiled dialogs, widgets and handlers call at run time, as protocols the runtime
implements.

The compile stage builds aiogram-dialog windows and widgets; when a user clicks, types or a
window renders, they need the runtime (run an action and follow its route, render a label in
the user's locale, answer a message). They reach it through :class:`DialogFlowProtocol`, found
in the dispatcher's data under :data:`FLOW_KEY` (``engine.runtime.flow.DialogFlow``, put there
by the composition root); compiled handlers reach :class:`HandlerExecutorProtocol` under
:data:`HANDLERS_KEY` (``engine.runtime.handlers.HandlerExecutor``). So neither
``engine/compile/`` nor ``engine/widgets/`` imports ``engine/runtime/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from engine.actions import EventInfo
from engine.compile.values import CompiledCall, CompiledHandler, CompiledRoute

__all__ = ["FLOW_KEY", "HANDLERS_KEY", "DialogFlowProtocol", "HandlerExecutorProtocol", "flow_of",
           "handlers_of"]

#: where the dispatcher's data holds the :class:`DialogFlowProtocol`
FLOW_KEY = "engine_flow"
#: where the dispatcher's data holds the :class:`HandlerExecutorProtocol`
HANDLERS_KEY = "engine_handlers"


class DialogFlowProtocol(Protocol):
    """The run-time side of compiled dialogs and widgets."""

    def scope(self, manager: DialogManager) -> dict[str, Any]:
        """What templates, conditions and arguments see: built-ins, start and dialog data."""

    def label(self, manager: DialogManager, key: str, data: Mapping[str, Any]) -> str:
        """A label in the user's locale."""

    def render(self, manager: DialogManager, template: str, data: Mapping[str, Any]) -> str:
        """A template in the user's locale."""

    async def run_call(self, manager: DialogManager, call: CompiledCall, dialog_id: str,
                       extra: Mapping[str, Any], event: EventInfo) -> None:
        """Run an action from a click or an input and follow the route of its outcome."""

    async def follow_route(self, manager: DialogManager, route: CompiledRoute,
                           dialog_id: str) -> None:
        """Follow a route with no action."""

    async def load(self, manager: DialogManager, call: CompiledCall | None) -> dict[str, Any]:
        """A window's data: the scope, plus what its ``load`` action returns."""

    async def resume(self, start_data: Any, result: Any, manager: DialogManager) -> None:
        """A sub-dialog closed: take the continuation it was started with."""

    async def tell(self, manager: DialogManager, message: Message, text: str) -> None:
        """A short message in the chat of ``message`` (an input's refusal)."""


def flow_of(manager: DialogManager) -> DialogFlowProtocol:
    return cast(DialogFlowProtocol, manager.middleware_data[FLOW_KEY])


class HandlerExecutorProtocol(Protocol):
    """The run-time side of compiled handlers: what an event that passed the filters does."""

    async def on_message(self, handler: CompiledHandler, message: Message,
                         manager: DialogManager, command: CommandObject | None,
                         data: Mapping[str, Any]) -> None:
        """A message the handler took."""

    async def on_callback(self, handler: CompiledHandler, callback: CallbackQuery,
                          manager: DialogManager, data: Mapping[str, Any]) -> None:
        """A button of a side message the handler took."""

    async def is_reply_to(self, message: Message, name: str, data: Mapping[str, Any]) -> bool:
        """Whether ``message`` replies to a side message named ``name`` this bot sent."""


def handlers_of(data: Mapping[str, Any]) -> HandlerExecutorProtocol:
    return cast(HandlerExecutorProtocol, data[HANDLERS_KEY])
