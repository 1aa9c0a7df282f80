"""Where the shell's input lines come from: a script file, a terminal, or a pipe.

Reading a stream happens in a daemon thread (one ``readline`` per requested line), so the event
loop - and the bot polling the emulator on it - keeps running while the person types, and a
pending read never keeps the process alive after ``:quit`` or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Protocol, TextIO

__all__ = ["LineSource", "ScriptLines", "StreamLines"]


class LineSource(Protocol):
    async def read(self, prompt: str) -> str | None:
        """The next line without its newline, or None at the end of the input."""
        ...


class ScriptLines:
    """Lines of a script, each echoed after a ``> `` prompt as if typed."""

    def __init__(self, text: str, echo: Callable[[str], None]) -> None:
        self._lines = text.splitlines()
        self._echo = echo

    async def read(self, prompt: str) -> str | None:
        if not self._lines:
            return None
        line = self._lines.pop(0)
        self._echo(f"> {line}")
        return line


class StreamLines:
    """Lines of a stream; with ``prompt_to`` (a terminal) the prompt is written there first."""

    def __init__(self, stream: TextIO, prompt_to: TextIO | None = None) -> None:
        self._stream = stream
        self._prompt_to = prompt_to

    async def read(self, prompt: str) -> str | None:
        if self._prompt_to is not None:
            self._prompt_to.write(prompt)
            self._prompt_to.flush()
        line = await self._readline()
        if not line:
            if self._prompt_to is not None:  # Ctrl-D: end the prompt's line
                self._prompt_to.write("\n")
                self._prompt_to.flush()
            return None
        return line.rstrip("\r\n")

    async def _readline(self) -> str:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def settle(line: str | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(line or "")

        def work() -> None:
            try:
                line, error = self._stream.readline(), None
            except Exception as exc:  # e.g. a closed stream: reported to the awaiting task
                line, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                loop.call_soon_threadsafe(settle, line, error)

        threading.Thread(target=work, name="tgflow-shell-stdin", daemon=True).start()
        return await future
