"""The panel's texts: every locale says everything the default (ru) says, and every text a page asks
for exists — those named in the templates and those whose key is built at run time (a status, an
action's confirmation, a history event, a problem)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.tickets.panel.pages import ACTIONS
from actions.tickets.panel.render import FOLDER, LOCALES
from actions.tickets.store import TicketStatus

STORE = Path(__file__).resolve().parents[3] / "actions" / "tickets" / "store"
PROBLEMS = ("login_expired", "login_locked", "login_wrong", "bad_filter", "not_found", "csrf",
            "bad_manager", "reason_required", "not_now", "stats_chart")


def texts(locale: str) -> dict[str, str]:
    loaded = yaml.safe_load((FOLDER / f"{locale}.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return {str(k): str(v) for k, v in loaded.items()}


def history_events() -> set[str]:
    """The events the store writes to a ticket's history (``_history(..., "name"``, ``_emit(...,
    "ticket.name"``)."""
    source = "".join(p.read_text(encoding="utf-8") for p in STORE.glob("*.py"))
    events = set(re.findall(r'_history\(session, \w+, "(\w+)"', source))
    events |= set(re.findall(r'_emit\(session, "ticket\.(\w+)"', source))
    return events


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != LOCALES[0]])
def test_every_locale_has_every_text_of_the_default_one(locale: str) -> None:
    default, translated = texts(LOCALES[0]), texts(locale)
    assert sorted(set(default) - set(translated)) == []
    assert sorted(set(translated) - set(default)) == []
    assert [key for key, value in translated.items() if not value.strip()] == []


def test_every_text_a_page_asks_for_exists() -> None:
    known = set(texts(LOCALES[0]))
    named: set[str] = set()
    for template in FOLDER.glob("*.html"):
        html = template.read_text(encoding="utf-8")
        named |= set(re.findall(r"\bt\.(\w+)", html)) | set(re.findall(r"\bt\['(\w+)'\]", html))
    built = {f"status_{s.value}" for s in TicketStatus} | {f"done_{a}" for a in ACTIONS}
    events = history_events()
    assert {"created", "taken", "done", "canceled", "reassigned", "priority", "reopened"} <= events
    built |= {f"event_{e}" for e in events} | set(PROBLEMS)
    assert sorted((named | built) - known) == []
