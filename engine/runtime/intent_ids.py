"""Dialog intent ids that cannot collide.

aiogram-dialog (2.6, and upstream still) makes an intent id from the current second plus one of
100 random values (``aiogram_dialog.api.entities.stack.new_int_id``). Two dialogs started in the
same second share an id with probability 1/100, and the child's context then overwrites its
parent's in storage: closing the child leaves a stack whose parent context is gone ("Stack is
broken ... resetting", ``UnknownIntent``), and the user lands on the main menu. The engine starts
several dialogs in one update (a continuation after a sub-dialog, ``done`` then a new dialog), so
this showed as a rare failure after sharing a phone.

``install()`` replaces the id maker that ``Stack.push`` calls with one drawn from ``secrets``: the
same alphabet and length as aiogram-dialog's ids (6 base-62 characters, so callback data keeps its
size), 62**6 ≈ 5.7e10 values (a collision within one user's stack of at most 100 dialogs:
below 1e-7). It is called by the composition root (``build_app``), never at import time, and is
idempotent. The 50 ids of one second collide about 9 times in 50 with the old maker.
"""

from __future__ import annotations

import secrets
import string

from aiogram_dialog.api.entities import stack as _stack

__all__ = ["ID_LENGTH", "install", "new_intent_id"]

ID_LENGTH = 6
_ALPHABET = string.digits + string.ascii_letters


def new_intent_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(ID_LENGTH))


def install() -> None:
    """Make ``Stack.push`` (which looks ``new_id`` up in its module at each call) use our ids."""
    _stack.new_id = new_intent_id
