"""Conversation tests in YAML: ``tests/conversations/<scenario>/*.yaml``.

:mod:`.spec` reads a file (the scenarios' YAML reader: positioned diagnostics, did-you-mean),
:mod:`.run` plays it against the real bot through the Bot API emulator (``python -m engine test``
and the pytest plugin in ``tests/conversations/conftest.py``), :mod:`.record` writes a recorded
list of actions (the playground's) back as such a file.
"""

from engine.playground.conversations.record import to_yaml
from engine.playground.conversations.run import Outcome, run_file
from engine.playground.conversations.spec import Conversation, Step, load_conversation

__all__ = ["Conversation", "Outcome", "Step", "load_conversation", "run_file", "to_yaml"]
