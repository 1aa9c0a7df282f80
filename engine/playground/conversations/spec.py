"""The format of a conversation test and its reader.

::

    scenario: vin_report          # scenarios/vin_report.yaml (or a path)
    locale: en                    # the user's Telegram language (default: ru)
    steps:
      - send: /start
        expect: {text_contains: "Send the VIN"}
      - click: "📋 My tickets"
        expect: {button: "⬅️ Back", no_button: "Take"}

A step has at most one action (``ACTIONS``) and may have ``expect:`` (``EXPECTATIONS``), checked
after the action; ``as:`` / ``in:`` switch the acting user (by first name) and chat (a group's
title, or ``private``) for this and the following steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, did_you_mean
from engine.scenario.loader import Positions, load_yaml_file

__all__ = ["ACTIONS", "EXPECTATIONS", "Conversation", "Step", "load_conversation"]

ACTIONS = {
    "send": "a text or a /command",
    "click": "an inline button's label",
    "press": "a reply keyboard button's label",
    "share_contact": "own phone number (or {phone, user: other})",
    "send_location": "[latitude, longitude]",
    "send_document": "a file path relative to the test file (or {file, caption}), as a reply "
                     "to the bot's last message in the chat",
    "wait": "seconds to move the bot's clock forward (background jobs run)",
}
SWITCHES = ("as", "in")
EXPECTATIONS = {
    "text_contains": "the last message's text contains this",
    "text_matches": "a regular expression the last message's text matches",
    "any_text_contains": "some message of the chat contains this",
    "button": "a button (inline or reply) with this label is shown",
    "no_button": "no button with this label is shown",
    "document": "the last message carries a document (true, or its file name)",
    "photo": "the last message carries a photo",
    "toast": "the answer to the last button press (a toast) contains this",
}
"""Built in; action packages add their own (``Sandbox.add_check``: the shop's ``regos_call`` and
``order_created``, the desk's ``ticket``)."""
TOP = ("scenario", "locale", "user", "steps")


@dataclass(frozen=True)
class Step:
    line: int
    action: str | None
    value: Any
    expect: dict[str, Any]
    user: str | None = None
    chat: str | None = None


@dataclass
class Conversation:
    file: str
    scenario: Path
    locale: str = "ru"
    user: str = "Alice"
    steps: list[Step] = field(default_factory=list)


def _scenario_path(name: str, base: Path) -> Path | None:
    if name.endswith((".yaml", ".yml")):
        for root in (base, Path.cwd()):
            if (root / name).exists():
                return (root / name).resolve()
        return None
    for folder in (base, *base.parents, Path.cwd()):
        if (candidate := folder / "scenarios" / f"{name}.yaml").exists():
            return candidate.resolve()
    return None


def load_conversation(path: Path) -> tuple[Conversation | None, list[Diagnostic]]:
    loaded, diagnostics = load_yaml_file(path)
    if loaded is None:
        return None, diagnostics
    found = list(diagnostics)
    pos = loaded.positions
    data = loaded.data

    def err(where: tuple[str | int, ...], code: str, message: str) -> None:
        at = pos.lookup(where)
        found.append(Diagnostic(at.file, at.line, at.col, code, message))

    if not isinstance(data, dict):
        err((), "conversation-shape", "a conversation test is a mapping with scenario: and steps:")
        return None, found
    for key in data:
        if key not in TOP:
            err((key,), "unknown-key", f"unknown key {key!r}{did_you_mean(str(key), TOP)}")
    name = data.get("scenario")
    scenario = _scenario_path(str(name), path.parent) if isinstance(name, str) else None
    if not isinstance(name, str):
        err(("scenario",), "missing-scenario", "scenario: names the bot under test")
    elif scenario is None:
        err(("scenario",), "unknown-scenario", f"no scenario {name!r} (scenarios/{name}.yaml)")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        err(("steps",), "missing-steps", "steps: is a non-empty list of steps")
        steps = []
    conv = Conversation(str(path), scenario or Path(), str(data.get("locale") or "ru"),
                        str(data.get("user") or "Alice"))
    for index, raw in enumerate(steps):
        step = _step(raw, ("steps", index), pos, err)
        if step is not None:
            conv.steps.append(step)
    if any(d.severity == "error" for d in found):
        return None, found
    return conv, found


def _step(raw: object, where: tuple[str | int, ...], pos: Positions, err: Any) -> Step | None:
    line = pos.lookup(where).line
    if not isinstance(raw, dict):
        err(where, "step-shape", f"a step is a mapping: one of {', '.join(ACTIONS)}, and expect:")
        return None
    actions = [k for k in raw if k in ACTIONS]
    unknown = [k for k in raw if k not in ACTIONS and k not in SWITCHES and k != "expect"]
    for key in unknown:
        known = [*ACTIONS, *SWITCHES, "expect"]
        err((*where, key), "unknown-step", f"unknown step {key!r}{did_you_mean(str(key), known)}")
    if len(actions) > 1:
        err((*where, actions[1]), "step-shape", f"one action per step, not {' and '.join(actions)}")
    expect = raw.get("expect") or {}
    if not isinstance(expect, dict):
        err((*where, "expect"), "expect-shape", "expect: is a mapping of expectations")
        expect = {}
    for key in expect:  # other names are the packages' checks, known once the bot runs
        if key not in EXPECTATIONS and (hint := did_you_mean(str(key), EXPECTATIONS)):
            err((*where, "expect", key), "unknown-expectation",
                f"unknown expectation {key!r}{hint}")
    if not actions and not expect and not unknown and not any(k in raw for k in SWITCHES):
        err(where, "empty-step", "a step does something or expects something")
    action = actions[0] if actions else None
    return Step(line, action, raw.get(action) if action else None, dict(expect),
                _opt(raw.get("as")), _opt(raw.get("in")))


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
