"""One outbound path: every message, edit, deletion and button answer of the engine goes through
engine.runtime.sender.Sender (where rate limits and metrics of outgoing calls belong)."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ENGINE = Path(engine.__file__).parent
#: the Bot's methods (and the shortcuts of its types) that send something to a chat
SENDING = ("send_", "edit_message", "delete_message", "answer_", "reply_", "forward_",
           "copy_message", "set_message_reaction", "pin_chat_message", "unpin_")
SHORTCUTS = ("answer", "reply", "edit_text", "edit_caption", "edit_reply_markup")
#: the sender itself; the Bot API emulator and the test kit are the other side of the wire
OUTSIDE = ("runtime/sender.py", "playground/", "testing.py")


def sending_calls(path: Path) -> list[str]:
    """``line: call`` of each direct sending call: ``x.send_message(...)``, ``event.answer(...)``,
    ``bot(method)``. A call on ``super()`` or ``self`` is the message manager extending
    aiogram-dialog's, and a call on a sender is the rule itself."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "bot":
            found.append(f"{node.lineno}: bot(...)")
        if isinstance(func, ast.Attribute) and func.attr == "bot":
            found.append(f"{node.lineno}: .bot(...)")
        if not isinstance(func, ast.Attribute) or not (
                func.attr.startswith(SENDING) or func.attr in SHORTCUTS):
            continue
        receiver = func.value
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) \
                and receiver.func.id == "super":
            continue
        if isinstance(receiver, ast.Name) and receiver.id == "self":
            continue
        text = ast.unparse(receiver)
        if "sender" in text.lower():
            continue
        found.append(f"{node.lineno}: {text}.{func.attr}(...)")
    return found


def test_no_engine_module_but_the_sender_calls_the_bots_sending_methods() -> None:
    offenders = {}
    for path in sorted(ENGINE.rglob("*.py")):
        name = path.relative_to(ENGINE).as_posix()
        if name.startswith(OUTSIDE):
            continue
        calls = sending_calls(path)
        if calls:
            offenders[name] = calls
    assert offenders == {}


def test_the_rule_sees_each_way_of_sending(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "async def f(bot, message, callback, manager, sender):\n"
        "    await bot.send_message(1, 'x')\n"
        "    await message.answer('x')\n"
        "    await callback.answer()\n"
        "    await manager.middleware_data['bot'].send_message(1, 'x')\n"
        "    await bot(method)\n"
        "    await sender.send_text(1, 'x')\n"
        "    await super().send_message(bot, 'x')\n",
        encoding="utf-8")
    assert [c.split(":")[0] for c in sending_calls(module)] == ["2", "3", "4", "5", "6"]
