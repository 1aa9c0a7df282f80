"""The format of a conversation test and its reader.

::

    scenario: vin_report          # scenarios/vin_report.yaml (or a path)
    locale: en                    # the user's Telegram language (default: ru)
    steps:
      - send: /start
        expect: {text_contains: "Send the VIN"}
      - click: "📋 My tickets"
        expect: {button: "⬅️ Back", no_button: "Take"}

A test may start at any window with fixture data instead of replaying the flow to it::

    scenario: orders
    settings: {DELIVERY_TYPES_ENABLED: true}   # the bot's settings for this test (environment)
    start_at: cart.view           # dialog.window (or a dialog: its first window)
    data: {group_id: 0}           # dialog data the window starts with (optional)
    fixtures:                     # offered by the action packages (``Sandbox.add_fixture``)
      customer: {phone: "998901234567"}
      cart: [{item_id: 1, qty: 2}]

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

__all__ = ["ACTIONS", "EXPECTATIONS", "Conversation", "Fixture", "Step", "load_conversation"]

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
TOP = ("scenario", "locale", "user", "settings", "start_at", "data", "fixtures", "steps")


@dataclass(frozen=True)
class Step:
    line: int
    action: str | None
    value: Any
    expect: dict[str, Any]
    user: str | None = None
    chat: str | None = None


@dataclass(frozen=True)
class Fixture:
    """One ``fixtures:`` entry: a kind a package offers and its value."""

    line: int
    kind: str
    value: Any


@dataclass
class Conversation:
    file: str
    scenario: Path
    locale: str = "ru"
    user: str = "Alice"
    steps: list[Step] = field(default_factory=list)
    #: ``(dialog, window)`` the test starts at, with its dialog data
    start_at: tuple[str, str] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    fixtures: list[Fixture] = field(default_factory=list)
    start_line: int = 0
    #: settings given to the bot as its environment (which wins over every other source)
    settings: dict[str, str] = field(default_factory=dict)


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
    if scenario is not None:
        _start(data, conv, scenario, pos, err)
    for index, raw in enumerate(steps):
        step = _step(raw, ("steps", index), pos, err)
        if step is not None:
            conv.steps.append(step)
    if any(d.severity == "error" for d in found):
        return None, found
    return conv, found


def _windows(scenario: Path) -> dict[str, list[str]]:
    """The scenario's windows by dialog, read from its YAML (no linking needed here)."""
    loaded, _ = load_yaml_file(scenario)
    dialogs = loaded.data.get("dialogs") if loaded is not None and \
        isinstance(loaded.data, dict) else None
    if not isinstance(dialogs, dict):
        return {}
    found: dict[str, list[str]] = {}
    for name, dialog in dialogs.items():
        windows = dialog.get("windows") if isinstance(dialog, dict) else None
        found[str(name)] = [str(w) for w in windows] if isinstance(windows, dict) else []
    return found


def _start(data: dict[str, Any], conv: Conversation, scenario: Path, pos: Positions,
           err: Any) -> None:
    """``start_at:``, ``data:`` and ``fixtures:``: checked here, applied by the runner."""
    raw = data.get("start_at")
    if raw is not None:
        conv.start_line = pos.lookup(("start_at",)).line
        windows = _windows(scenario)
        dialog, _, window = str(raw).partition(".")
        if dialog in windows and not window and windows[dialog]:
            window = windows[dialog][0]
        if dialog in windows and window in windows[dialog]:
            conv.start_at = (dialog, window)
        else:
            known = [f"{d}.{w}" for d, ws in windows.items() for w in ws]
            err(("start_at",), "unknown-window",
                f"no window {raw!r} in {scenario.name}{did_you_mean(str(raw), known)}")
    settings = data.get("settings")
    if settings is not None and not isinstance(settings, dict):
        err(("settings",), "settings-shape", "settings: maps a setting's name to its value")
    elif settings:
        conv.settings = {str(k): str(v).lower() if isinstance(v, bool) else str(v)
                         for k, v in settings.items()}
    seeded = data.get("data")
    if seeded is not None and not isinstance(seeded, dict):
        err(("data",), "data-shape", "data: is a mapping of dialog data")
    elif seeded:
        if raw is None:
            err(("data",), "data-without-start", "data: is the dialog data of start_at:")
        conv.data = {str(k): v for k, v in seeded.items()}
    fixtures = data.get("fixtures")
    if fixtures is not None and not isinstance(fixtures, dict):
        err(("fixtures",), "fixtures-shape", "fixtures: maps a fixture kind to its value")
    elif fixtures:
        conv.fixtures = [Fixture(pos.lookup(("fixtures", k)).line, str(k), v)
                         for k, v in fixtures.items()]


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
