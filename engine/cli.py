"""``python -m engine check|run|serve|shell|playground|graph|test`` — the command-line interface of design.md.

A command that fails ends with one line on stderr (:func:`failure`): what failed and, from the
error's ``hint``, what to do; the exit code is 2 for configuration errors and 1 otherwise. Secrets
(the bot token, keys, passwords: :mod:`engine.masking`) are masked there and in every log line;
``-v`` adds the traceback to the log.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.diagnostics import Diagnostic, Severity, render_json, render_text
from engine.errors import ConfigError, EngineError, ScenarioError, StartupError
from engine.logs import LOG_FORMATS, use_format
from engine.masking import SECRETS, install_log_masking, mask

__all__ = ["failure", "main"]

log = logging.getLogger("engine.cli")


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
    from engine.serve.config import check_deploy, is_deploy_file

    diagnostics: list[Diagnostic] = []
    files = _scenario_files(args.paths)
    if args.i18n:
        return _check_i18n(files, strict=args.strict)
    for file in files:
        if not file.exists():
            diagnostics.append(Diagnostic(str(file), 1, 1, "file-read", "no such file"))
            continue
        if is_deploy_file(file):  # DEPLOY.yaml: the deployment and the scenarios it names
            diagnostics.extend(check_deploy(file))
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


def _check_i18n(files: list[Path], *, strict: bool) -> int:
    """``check --i18n``: the translations report; exit 1 if a scenario does not load, or with
    ``--strict`` when anything is reported."""
    from engine.scenario.pipeline import load_bundle
    from engine.serve.config import is_deploy_file
    from engine.templates.i18n import Finding, render_report, translation_report

    findings: list[Finding] = []
    broken = 0
    checked = 0
    for file in files:
        if file.exists() and is_deploy_file(file):
            continue
        bundle, diagnostics = load_bundle(file) if file.exists() else (None, [])
        if bundle is None:
            broken += 1
            print(render_text(diagnostics) or f"{file}: no such file", file=sys.stderr)
            continue
        checked += 1
        findings.extend(translation_report(bundle.scenario.scenario, bundle.store))
    print(render_report(findings, checked))
    return 1 if broken or (strict and findings) else 0


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


def cmd_serve(args: argparse.Namespace) -> int:
    from engine.serve.config import load_deploy
    from engine.serve.server import serve

    config, diagnostics = load_deploy(Path(args.deploy), os.environ)
    if config is None:
        raise ScenarioError(diagnostics)
    for d in diagnostics:
        print(d.format(), file=sys.stderr)
    asyncio.run(serve(config, os.environ, host=args.host, port=args.port))
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from engine.playground.shell import run_shell

    bundle = _load_or_exit(args.scenario)
    return asyncio.run(run_shell(bundle, os.environ, script=args.script,  # type: ignore[arg-type]
                                 files=args.files))


def cmd_graph(args: argparse.Namespace) -> int:
    from engine.scenario.graph import to_dot, write_graph

    bundle = _load_or_exit(args.scenario)
    dot = to_dot(bundle.scenario)  # type: ignore[attr-defined]
    if args.output:
        write_graph(dot, Path(args.output))
    else:
        print(dot)
    return 0


def cmd_playground(args: argparse.Namespace) -> int:
    from engine.playground.web.server import run_playground

    files = _scenario_files(args.scenarios)
    return asyncio.run(run_playground(files, os.environ, host=args.host, port=args.port))


def cmd_test(args: argparse.Namespace) -> int:
    from engine.playground.conversations.run import run_paths

    return asyncio.run(run_paths(args.paths))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--log-format", choices=LOG_FORMATS, default=None,
                        help="log lines as text or as JSON objects (default: LOG_FORMAT, else text)")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate scenarios, their templates and actions")
    check.add_argument("paths", nargs="*", help="scenario files or folders (default: scenarios/)")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--i18n", action="store_true",
                       help="report missing, extra and differing translations per locale "
                            "(with --strict: exit 1 when anything is reported)")
    check.set_defaults(func=cmd_check)
    run = sub.add_parser("run", help="run one bot with long polling (needs BOT_TOKEN)")
    run.add_argument("scenario")
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="webhook server for the bots of a DEPLOY.yaml")
    serve.add_argument("deploy", metavar="DEPLOY.yaml")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.set_defaults(func=cmd_serve)
    shell = sub.add_parser("shell", help="chat with the bot in the terminal (no token, no network)")
    shell.add_argument("scenario")
    shell.add_argument("--script", help="read input lines from this file instead of the terminal")
    shell.add_argument("--files", metavar="DIR",
                       help="save the photos and documents the bot sends here "
                            "(default: a new temporary folder, printed at the start)")
    shell.set_defaults(func=cmd_shell)
    graph = sub.add_parser("graph", help="the flow as Graphviz DOT, or drawn by Graphviz")
    graph.add_argument("scenario")
    graph.add_argument("-o", "--output", metavar="FILE",
                       help="write here: .svg, .png and .pdf are drawn by Graphviz's 'dot', "
                            "anything else (.dot, .gv) gets DOT text (default: DOT on stdout)")
    graph.set_defaults(func=cmd_graph)
    play = sub.add_parser("playground", help="every bot in a web page, edited live (no token, "
                                             "no network)")
    play.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                      help="scenario files or folders (default: every scenario in scenarios/)")
    play.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1: this computer only)")
    play.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    play.set_defaults(func=cmd_playground)
    test = sub.add_parser("test", help="play the conversation tests (YAML) against the bots")
    test.add_argument("paths", nargs="*",
                      help="conversation files or folders (default: tests/conversations/)")
    test.set_defaults(func=cmd_test)
    return parser


def failure(exc: Exception) -> tuple[str, int]:
    """What a command that raised ``exc`` prints last (secrets masked), and its exit code.

    Scenario errors are the linter's diagnostics, one per line; anything else is one line:
    ``configuration error: …`` (exit 2), ``cannot start: …`` or ``error: …`` (the engine's
    errors), ``unexpected error: …`` (a bug: ``-v`` logs its traceback), then the error's hint.
    """
    if isinstance(exc, ScenarioError):
        return mask(render_text(exc.diagnostics)), 1
    if isinstance(exc, ConfigError):
        prefix, code = "configuration error", 2
    elif isinstance(exc, StartupError):
        prefix, code = "cannot start", 1
    elif isinstance(exc, EngineError):
        prefix, code = "error", 1
    else:
        prefix, code = f"unexpected error ({type(exc).__name__})", 1
    text = " ".join(str(exc).split()) or type(exc).__name__
    hint = getattr(exc, "hint", "") if isinstance(exc, EngineError) else \
        "run again with -v for the details"
    line = f"{prefix}: {text}" + (f" — {hint}" if hint else "")
    return mask(line), code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs full request URLs at INFO, and some APIs put credentials in the URL
    logging.getLogger("httpx").setLevel(logging.WARNING)
    SECRETS.add_environ(os.environ)
    install_log_masking()
    log_format = args.log_format or os.environ.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        print(f"configuration error: LOG_FORMAT must be text or json, not {log_format!r}",
              file=sys.stderr)
        return 2
    use_format(log_format)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.debug("%s failed", args.command, exc_info=exc)
        line, code = failure(exc)
        print(line, file=sys.stderr)
        return code
