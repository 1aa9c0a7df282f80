"""The VIN report bot as its users meet it: scenarios/vin_report.yaml on the Bot API emulator.

A customer (Alice) in her private chat; the managers' group with two managers in MANAGER_IDS
(Ann, Bob) and a member who is not (Eve). The bot's clock is a SandboxClock, so SLA reminders are
tested by moving time forward.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.playground.botapi import BotApiEmulator, Chat, ChatMessage
from engine.testing import Actor, Playground, SandboxClock

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "vin_report.yaml"
MANAGER_CHAT = -1009876543210
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 11:00 in Tashkent
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
VIN = "WDBEA30D3HA391172"  # passes every check
VIN_EU = "WP0ZZZ99ZTS392124"  # European: position 9 is no check digit (a warning)
VIN_US = "1HGBH41JXMN109186"


@dataclass
class Desk:
    play: Playground
    clock: SandboxClock
    alice: Actor
    ann: Actor  # managers (MANAGER_IDS), acting in the managers' group
    bob: Actor
    eve: Actor  # in the group, not a manager
    group: Chat

    def cards(self) -> list[ChatMessage]:
        return [m for m in self.ann.messages if "VIN:" in (m.content or "")]

    def card_of(self, ticket_id: int) -> ChatMessage:
        pattern = re.compile(rf"№{ticket_id}\b")
        found = [m for m in self.cards() if pattern.search((m.content or "").split("\n")[0])]
        assert found, f"no card of ticket {ticket_id} in {[m.content for m in self.cards()]}"
        return found[-1]

    def toast(self) -> str:
        return str(self.play.calls("answerCallbackQuery")[-1].params.get("text") or "")


@contextlib.asynccontextmanager
async def open_desk(database_url: str, *, extra_env: dict[str, str] | None = None,
                    transport: str = "memory", http: bool = False) -> AsyncIterator[Desk]:
    """``http``: also serve the package's routes (the API) on 127.0.0.1 (``play.http_url``)."""
    emulator = BotApiEmulator()
    alice = emulator.add_user("Alice", last_name="Smith", language_code="ru")
    ann = emulator.add_user("Ann", language_code="ru")
    bob = emulator.add_user("Bob", language_code="ru")
    eve = emulator.add_user("Eve", language_code="ru")
    environ = {
        "DATABASE_URL": database_url, "MANAGER_CHAT_ID": str(MANAGER_CHAT),
        "MANAGER_IDS": f"{ann.id},{bob.id}", **(extra_env or {}),
    }
    clock = SandboxClock(START)
    async with Playground.open(SCENARIO, environ=environ, emulator=emulator, clock=clock,
                               transport=transport, http=http) as play:  # type: ignore[arg-type]
        group = play.group("Managers", play.actor(ann.id), play.actor(bob.id),
                           play.actor(eve.id), chat_id=MANAGER_CHAT)
        yield Desk(play, clock, play.actor(alice.id), play.actor(ann.id, group),
                   play.actor(bob.id, group), play.actor(eve.id, group), group)
