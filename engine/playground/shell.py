"""``python -m engine shell SCENARIO.yaml``: chat with the real bot in the terminal.

The bot runs exactly as in production (aiogram long polling over loopback HTTP) against the
in-process Bot API emulator, so no token, Redis or network is needed. The person at the keyboard
acts as simulated users (``:user``) in private chats or groups (``:group``); everything the bot
sends, edits or rejects is printed after each input. See :data:`HELP` for the commands.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from engine.playground.shell_files import SavedFiles
from engine.playground.shell_input import LineSource, ScriptLines, StreamLines
from engine.playground.shell_render import View
from engine.playground.shell_session import HELP, Output, Shell
from engine.scenario.pipeline import ScenarioBundle
from engine.testing import Playground

__all__ = ["HELP", "pick_language", "run_shell"]


def pick_language(environ: Mapping[str, str], locales: list[str], default: str) -> str:
    """SHELL_LANG, else LANG's first two letters, when the scenario has that locale."""
    for name in ("SHELL_LANG", "LANG"):
        code = environ.get(name, "")[:2].lower()
        if code in locales:
            return code
    return default


def _read_script(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


async def _loop(shell: Shell, source: LineSource) -> None:
    while (line := await source.read(shell.prompt())) is not None:
        if not await shell.handle(line):
            return


async def run_shell(
    bundle: ScenarioBundle,
    environ: Mapping[str, str],
    *,
    script: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    files: str | None = None,
) -> int:
    """Run the bot against the emulator and chat with it; the exit code (0 after ``:quit``).

    ``files``: the folder for the photos and documents the bot sends (default: a new
    temporary folder), printed at the start."""
    out_stream = stdout if stdout is not None else sys.stdout
    out = Output(out_stream, View(ansi=_isatty(out_stream)))
    source: LineSource
    if script is not None:
        try:
            text = _read_script(script)
        except (OSError, UnicodeDecodeError) as exc:
            out.error(f"can't read the script {script}: {exc}")
            return 2
        source = ScriptLines(text, out.line)
    else:
        in_stream = stdin if stdin is not None else sys.stdin
        source = StreamLines(in_stream, out_stream if _isatty(in_stream) else None)
    try:
        saved = SavedFiles.open(files)
    except OSError as exc:
        out.error(f"can't use the folder {files} for the bot's files: {exc.strerror or exc}")
        return 2
    scenario = bundle.scenario
    language = pick_language(environ, list(scenario.locales), scenario.default_locale)
    async with Playground.open(bundle, transport="http", environ=environ,
                               sandbox=True, jobs=True) as play:
        shell = Shell(play, bundle, out, language, files=saved)
        shell.banner()
        await shell.report()  # anything rejected while starting (e.g. setMyCommands)
        await _loop(shell, source)
    return 0
