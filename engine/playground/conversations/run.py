"""Play a conversation test against the real bot (sandboxed) and report the first failure."""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.actions import ChatInfo, UserInfo
from engine.diagnostics import did_you_mean, render_text
from engine.playground.botapi import EmulatorError
from engine.playground.conversations.spec import (
    EXPECTATIONS,
    Conversation,
    Step,
    load_conversation,
)
from engine.testing import Actor, Playground

__all__ = ["Outcome", "StepFailed", "run_file"]


class StepFailed(Exception):
    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


@dataclass(frozen=True)
class Outcome:
    file: str
    passed: bool
    report: str
    steps: int = 0


async def run_file(path: Path) -> Outcome:
    """Load and play ``path``; its :class:`Outcome` (a load problem is a failure too)."""
    conv, diagnostics = load_conversation(path)
    if conv is None:
        return Outcome(str(path), False, f"FAIL {path}\n{render_text(diagnostics)}")
    return await run_conversation(conv)


async def run_conversation(conv: Conversation) -> Outcome:
    async with Playground.open(conv.scenario, sandbox=True, environ=conv.settings) as play:
        actor = play.user(conv.user, language_code=conv.locale)
        if (failed := await _start(play, actor, conv)) is not None:
            return failed
        for number, step in enumerate(conv.steps, 1):
            try:
                actor = _switch(play, actor, step)
                await _act(play, actor, step, Path(conv.file).parent)
                _check(play, actor, step)
                await _domain_checks(play, actor, step)
            except (StepFailed, EmulatorError) as exc:
                expected = exc.expected if isinstance(exc, StepFailed) else \
                    f"the step can be done, but: {exc}"
                return Outcome(conv.file, False, _report(conv, step, expected, actor), number)
        return Outcome(conv.file, True, f"ok   {conv.file} ({len(conv.steps)} steps)",
                       len(conv.steps))


async def _start(play: Playground, actor: Actor, conv: Conversation) -> Outcome | None:
    """Put the ``fixtures:`` in place, then open ``start_at:`` with its ``data:``; the
    failure's outcome if something could not be done."""
    offered = play.sandbox.fixtures if play.sandbox is not None else {}
    for fixture in conv.fixtures:
        apply = offered.get(fixture.kind)
        problem: str | None
        if apply is None:
            problem = f"a fixture kind this bot offers, not {fixture.kind!r}" \
                f"{did_you_mean(fixture.kind, offered)} (known: {', '.join(sorted(offered))})"
        else:
            locale = actor.account.language_code or conv.locale
            ctx = play.app.runtime.action_context(
                UserInfo(actor.id, actor.account.first_name, actor.account.last_name,
                         actor.account.username, locale),
                ChatInfo(actor.chat.id, actor.chat.type, actor.chat.title), locale, {})
            found = await apply(fixture.value, ctx)
            problem = None if found is None else f"fixture {fixture.kind}: {found}"
        if problem is not None:
            return Outcome(conv.file, False, "\n".join([
                f"FAIL {conv.file}", f"  {conv.file}:{fixture.line}: fixtures: {fixture.kind}",
                f"    expected: {problem}"]))
    if conv.start_at is not None:
        await play.start_at(actor, *conv.start_at, conv.data)
        if not actor.messages:
            return Outcome(conv.file, False, "\n".join([
                f"FAIL {conv.file}", f"  {conv.file}:{conv.start_line}: start_at",
                f"    expected: window {'.'.join(conv.start_at)} shown",
                "    the chat showed: nothing from the bot"]))
    return None


def _switch(play: Playground, actor: Actor, step: Step) -> Actor:
    if step.user is not None:
        found = next((u for u in play.emulator.users.values()
                      if u.first_name == step.user and not u.is_bot), None)
        if found is None:
            found = play.user(step.user, language_code=actor.account.language_code).account
        actor = play.actor(found.id)
    if step.chat is not None:
        if step.chat == "private":
            return play.actor(actor.id)
        group = play.emulator.find_group(step.chat)
        if group is None:
            raise StepFailed(f"a group titled {step.chat!r}")
        return actor.at(group)
    return actor


async def _act(play: Playground, actor: Actor, step: Step, base: Path) -> None:
    value: Any = step.value
    if step.action == "send":
        await actor.send(str(value))
    elif step.action == "click":
        await actor.click(_inline_label(actor, str(value)))
    elif step.action == "press":
        await actor.press(str(value))
    elif step.action == "share_contact":
        if isinstance(value, dict):
            other = play.user(str(value.get("user", "Stranger"))).id if value.get("user") else None
            await actor.share_contact(str(value.get("phone", "998901234567")),
                                      contact_user_id=other)
        else:
            await actor.share_contact(str(value) if value not in (None, True) else "998901234567")
    elif step.action == "send_location":
        latitude, longitude = value
        await actor.send_location(float(latitude), float(longitude))
    elif step.action == "send_document":
        spec = value if isinstance(value, dict) else {"file": value}
        file = base / str(spec.get("file"))
        if not file.is_file():
            raise StepFailed(f"a file {file} to send")
        mime = "application/pdf" if file.suffix == ".pdf" else "application/octet-stream"
        reply = actor.messages[-1].message_id if actor.messages else None
        await actor.send_document(file.read_bytes(), file.name, mime, reply_to=reply,
                                  caption=spec.get("caption"))
    elif step.action == "wait":
        await play.advance(timedelta(seconds=float(value)))


def same(label: str, wanted: str) -> bool:
    """Labels compare with any run of spaces as one space: prices' narrow no-break spaces
    (``12\u202f000``) are written as plain spaces in a test."""
    return " ".join(label.split()) == " ".join(wanted.split())


def _flat(text: object) -> str:
    return " ".join(str(text).split())


def _inline_label(actor: Actor, wanted: str) -> str:
    for message in reversed(actor.messages):
        for row in message.inline_buttons:
            for button in row:
                if same(button.text, wanted):
                    return button.text
    return wanted  # the emulator reports the missing button


def _check(play: Playground, actor: Actor, step: Step) -> None:
    expect = step.expect
    message = play.emulator.last_bot_message(actor.chat)
    text = (message.content or "") if message is not None else ""
    labels = _labels(play, actor)
    if (wanted := expect.get("text_contains")) is not None and _flat(wanted) not in _flat(text):
        raise StepFailed(f"a message containing {wanted!r}")
    if (pattern := expect.get("text_matches")) is not None and not re.search(str(pattern), _flat(text)):
        raise StepFailed(f"a message matching /{pattern}/")
    if (wanted := expect.get("any_text_contains")) is not None and \
            not any(_flat(wanted) in _flat(t) for t in actor.texts()):
        raise StepFailed(f"some message containing {wanted!r}")
    for label in _many(expect.get("button")):
        if not any(same(shown, label) for shown in labels):
            raise StepFailed(f"a button {label!r}")
    for label in _many(expect.get("no_button")):
        if any(same(shown, label) for shown in labels):
            raise StepFailed(f"no button {label!r}")
    if (document := expect.get("document")) is not None:
        stored = message.document if message is not None else None
        if stored is None or (isinstance(document, str) and document != stored.file_name):
            raise StepFailed(f"a document{'' if document is True else f' {document!r}'}")
    if expect.get("photo") and (message is None or message.photo is None):
        raise StepFailed("a photo")
    if (toast := expect.get("toast")) is not None:
        answers = [q.answer.text or "" for q in play.emulator.callback_queries.values()
                   if q.answer is not None and q.user.id == actor.id]
        if not answers or str(toast) not in answers[-1]:
            raise StepFailed(f"a toast containing {toast!r} (last toast: {answers[-1:]})")
    if refused := play.rejected_calls():
        call = refused[-1]
        raise StepFailed(f"no refused Bot API call, but {call.method} was refused: "
                         f"{call.error_description}")


async def _domain_checks(play: Playground, actor: Actor, step: Step) -> None:
    offered = play.sandbox.checks if play.sandbox is not None else {}
    for name, value in step.expect.items():
        if name in EXPECTATIONS:
            continue
        check = offered.get(name)
        if check is None:
            known = [*EXPECTATIONS, *offered]
            raise StepFailed(f"an expectation this bot offers, not {name!r}"
                             f"{did_you_mean(name, known)} (known: {', '.join(sorted(known))})")
        if (found := await check(value, actor.id)) is not None:
            raise StepFailed(f"{name}: {value!r}, but {found}")


def _many(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _labels(play: Playground, actor: Actor) -> list[str]:
    labels = actor.reply_buttons()
    message = play.emulator.last_bot_message(actor.chat)
    if message is not None:
        labels += [b.text for row in message.inline_buttons for b in row]
    return labels


def _report(conv: Conversation, step: Step, expected: str, actor: Actor) -> str:
    shown = [m for m in actor.messages][-1:]
    what = f"{step.action}: {step.value!r}" if step.action else "expect"
    lines = [f"FAIL {conv.file}", f"  {conv.file}:{step.line}: {what}",
             f"    expected: {expected}"]
    if not shown:
        lines.append("    the chat showed: nothing from the bot")
    else:
        lines.append("    the chat showed: " + (shown[-1].content or "(no text)")
                     .replace("\n", "\n                     "))
        labels = _labels(actor.play, actor)
        if labels:
            lines.append("    buttons: " + " ".join(f"[{label}]" for label in labels))
    return "\n".join(lines)


def conversation_files(paths: list[str]) -> list[Path]:
    """The ``*.yaml`` files under ``paths`` (default ``tests/conversations``), sorted."""
    files: list[Path] = []
    for raw in paths or ["tests/conversations"]:
        path = Path(raw)
        files.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    return files


async def run_paths(paths: list[str]) -> int:
    """``python -m engine test``: play every file, print one line per pass and the report of
    every failure; 1 if any failed (or none was found)."""
    files = conversation_files(paths)
    quiet = [logging.getLogger(name) for name in ("engine.storage", "engine.sandbox")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # expected in a sandbox: no Redis, no REGOS
        logger.setLevel(logging.ERROR)
    failed = 0
    try:
        for file in files:
            outcome = await run_file(file)
            print(outcome.report, flush=True)
            failed += not outcome.passed
    finally:  # the caller's logging as it was (tests run this in process, before others)
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    print(f"{len(files)} conversation(s): {len(files) - failed} passed, {failed} failed",
          file=sys.stderr)
    return 1 if failed or not files else 0
