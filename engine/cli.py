"""``python -m engine check|run|shell|graph`` — the command-line interface of design.md."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.diagnostics import Diagnostic, Severity, render_json, render_text
from engine.errors import ConfigError, ScenarioError

__all__ = ["main"]


def _scenario_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths or ["scenarios"]:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.yaml") if not p.name.startswith("_")))
        else:
            files.append(path)
    return files


def cmd_check(args: argparse.Namespace) -> int:
    from engine.scenario.pipeline import load_bundle

    diagnostics: list[Diagnostic] = []
    files = _scenario_files(args.paths)
    for file in files:
        if not file.exists():
            diagnostics.append(Diagnostic(str(file), 1, 1, "file-read", "no such file"))
            continue
        _, found = load_bundle(file)
        diagnostics.extend(found)
    if args.strict:
        diagnostics = [Diagnostic(d.file, d.line, d.col, d.code, d.message, Severity.ERROR, d.hint)
                       for d in diagnostics]
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if args.format == "json":
        print(render_json(diagnostics))
    elif diagnostics:
        print(render_text(diagnostics))
    if args.format == "text":
        summary = f"{len(files)} scenario(s) checked: {len(errors)} error(s), " \
                  f"{len(diagnostics) - len(errors)} warning(s)"
        print(summary, file=sys.stderr)
    return 1 if errors else 0


def _load_or_exit(path: str) -> object:
    from engine.scenario.pipeline import load_bundle

    bundle, diagnostics = load_bundle(Path(path))
    if bundle is None:
        raise ScenarioError(diagnostics)
    for d in diagnostics:
        print(d.format(), file=sys.stderr)
    return bundle


def cmd_run(args: argparse.Namespace) -> int:
    from engine.runtime.polling import run_polling

    bundle = _load_or_exit(args.scenario)
    token = os.environ.get("BOT_TOKEN")
    if not token:
        raise ConfigError("BOT_TOKEN is required for 'run' (or try 'shell', which needs none)")
    asyncio.run(run_polling(bundle, token, os.environ))  # type: ignore[arg-type]
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from engine.playground.shell import run_shell

    bundle = _load_or_exit(args.scenario)
    return asyncio.run(run_shell(bundle, os.environ, script=args.script,  # type: ignore[arg-type]
                                 files=args.files))


def cmd_graph(args: argparse.Namespace) -> int:
    from engine.scenario.graph import to_dot

    bundle = _load_or_exit(args.scenario)
    dot = to_dot(bundle.scenario)  # type: ignore[attr-defined]
    if args.output:
        Path(args.output).write_text(dot + "\n", encoding="utf-8")
    else:
        print(dot)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate scenarios, their templates and actions")
    check.add_argument("paths", nargs="*", help="scenario files or folders (default: scenarios/)")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.set_defaults(func=cmd_check)
    run = sub.add_parser("run", help="run one bot with long polling (needs BOT_TOKEN)")
    run.add_argument("scenario")
    run.set_defaults(func=cmd_run)
    shell = sub.add_parser("shell", help="chat with the bot in the terminal (no token, no network)")
    shell.add_argument("scenario")
    shell.add_argument("--script", help="read input lines from this file instead of the terminal")
    shell.add_argument("--files", metavar="DIR",
                       help="save the photos and documents the bot sends here "
                            "(default: a new temporary folder, printed at the start)")
    shell.set_defaults(func=cmd_shell)
    graph = sub.add_parser("graph", help="the flow as Graphviz DOT")
    graph.add_argument("scenario")
    graph.add_argument("-o", "--output")
    graph.set_defaults(func=cmd_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs full request URLs at INFO, and some APIs put credentials in the URL
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except ScenarioError as exc:
        print(render_text(exc.diagnostics), file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
