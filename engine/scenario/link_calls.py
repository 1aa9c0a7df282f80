"""Link checks of action calls: the action exists (or its package failed, reported once), its
arguments are parameters it has, of the types it takes (literals validated, templates checked
for the variables the call's place offers), every outcome is routed and every route leads
somewhere. A job's outcomes are not routed; a window's ``load`` needs no routes.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError, PydanticUndefinedAnnotation

from engine.actions import ActionSpec
from engine.diagnostics import did_you_mean
from engine.scenario import schema as s
from engine.scenario.walk import CallSite, YamlPath

if TYPE_CHECKING:
    from engine.scenario.linker import _Linker

__all__ = ["RENDER_BUILTINS", "argument_adapter", "call_vars", "check_args", "check_call"]

#: what templates and call arguments may use anywhere in a dialog
#: (``view``: the template a route's ``text:`` gave the window, or None)
RENDER_BUILTINS = frozenset(
    {"user", "chat", "locale", "settings", "now", "pages", "counters", "start", "view"}
)


def check_call(lk: _Linker, site: CallSite) -> None:
    """The action exists, gets the arguments its signature takes, and each of its outcomes
    is routed to somewhere that exists."""
    call, path, dialog, role = site.call, site.path, site.dialog, site.role
    spec = lk.registry.get(call.call)
    if spec is None and (call.call.partition(".")[0] in lk.failed_namespaces
                         or ("actions",) in lk.broken):
        return  # its package failed to import: reported once, at 'actions:'
    if spec is None:
        lk.err((*path, "call"), "unknown-action", f"unknown action '{call.call}'"
               f"{did_you_mean(call.call, lk.registry.names())}",
               None if lk.registry.names() else "no action packages are listed in 'actions:'")
        return
    check_args(lk, spec, call, path, call_vars(lk, site))
    if role == "job" and call.on:
        lk.err((*path, "on"), "job-routes",
               "a job's outcomes are not routed: it has no chat to show a window in",
               "remove 'on:'; the action sends side messages through the notifier")
    if role in ("load", "job"):
        return
    unknown = [o for o in call.on if o not in spec.outcomes]
    for outcome in unknown:
        lk.err((*path, "on", outcome), "unknown-outcome",
               f"action '{spec.name}' has no outcome '{outcome}'"
               f"{did_you_mean(outcome, spec.outcomes)}",
               "its outcomes are: " + ", ".join(spec.outcomes), key=True)
    implicit_ok = spec.outcomes == ("ok",) and not call.on
    if not implicit_ok:
        for outcome in spec.outcomes:
            if outcome not in call.on:
                lk.err((*path, "on") if call.on else path, "unrouted-outcome",
                       f"outcome '{outcome}' of action '{spec.name}' is not routed",
                       f"add 'on: {{{outcome}: <target>}}'", key=bool(call.on))
    for outcome, route in call.on.items():
        lk.check_route(route, dialog, (*path, "on", outcome))

def call_vars(lk: _Linker, site: CallSite) -> set[str]:
    """What the call's arguments may use where it stands."""
    base = set(RENDER_BUILTINS) | lk.dialog_keys | set(site.variables)
    if site.role == "job":
        return {"settings", "now"}
    if site.role == "handler":
        handler = lk.sc.handlers[int(site.path[1])]
        base = {"user", "chat", "locale", "settings", "now", "text", "document"}
        if not handler.kind.callback:
            base.add("args")  # a command's text after the command
        if isinstance(handler.args, dict):
            base |= set(handler.args)
        if isinstance(handler.args, str):
            with contextlib.suppress(re.error):
                base |= set(re.compile(handler.args).groupindex)
        base |= handler.kind.variables(handler)
    return base

def check_args(lk: _Linker, spec: ActionSpec, call: s.ActionCall, path: YamlPath,
               available: set[str]) -> None:
    for name, value in call.args.items():
        apath = (*path, "args", name)
        if name not in spec.params and not spec.accepts_any():
            lk.err(apath, "unknown-argument",
                   f"action '{spec.name}' has no parameter '{name}'"
                   f"{did_you_mean(name, spec.params)}", key=True)
            continue
        adapter = argument_adapter(lk, spec, name, apath)
        if isinstance(value, str) and "{{" in value:
            lk.check_expr_or_template(value, available, apath, f"argument '{name}'")
            continue
        if adapter is not None:
            try:
                adapter.validate_python(value)
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"]
                lk.err(apath, "argument-type",
                       f"argument '{name}' of '{spec.name}': {reason[0].lower()}{reason[1:]}")
    for name in sorted(spec.required_params() - set(call.args)):
        lk.err(path, "missing-argument",
               f"action '{spec.name}' needs argument '{name}'", key=True)

def argument_adapter(lk: _Linker, spec: ActionSpec, name: str, path: YamlPath) -> TypeAdapter[Any] | None:
    """The validator of parameter ``name``; None for an unannotated one, and for a type
    pydantic has no schema for (a warning: its values reach the action unchecked)."""
    annotation = spec.annotations.get(name)
    if annotation is None or annotation is Any or name not in spec.params:
        return None
    try:
        return TypeAdapter(annotation)
    except (PydanticSchemaGenerationError, PydanticUndefinedAnnotation):
        lk.warn(path, "unchecked-argument",
                f"argument '{name}' of '{spec.name}': pydantic cannot validate its type "
                f"{getattr(annotation, '__name__', annotation)}, so its values reach the "
                "action unchecked",
                "annotate the parameter with a type pydantic validates, or with Any")
        return None
