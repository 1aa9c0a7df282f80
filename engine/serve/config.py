"""DEPLOY.yaml: which bots one ``serve`` process hosts, read and checked like a scenario.

::

    public_url: ${PUBLIC_URL}          # where Telegram reaches this server (else env PUBLIC_URL)
    webhook_secret: ${WEBHOOK_SECRET}  # optional: per-bot secrets derived from it (several processes)
    redis_url: ${REDIS_URL}            # optional (else env REDIS_URL; unset: process memory)
    bots:
      cafe:                            # the bot's name: its webhook is {public_url}/webhook/cafe
        scenario: scenarios/demo.yaml  # relative to this file's folder
        token: ${CAFE_BOT_TOKEN}
        settings: {CAFE_NAME: Corner café}   # this bot's environment: settings, DATABASE_URL, ...
    integrations:                      # bots an external system connects (engine.serve.integrations)
      shops: {package: actions.shop, scenario: scenarios/orders.yaml, settings: {...}}

The same YAML reader and schema diagnostics as scenarios (``file:line:col``, did you mean, YAML
hygiene); ``${VAR}`` is replaced by the environment variable ``VAR`` when ``serve`` starts (an unset
one is an error at its place); ``check`` leaves them as they are. A file whose top level has
``bots:`` and no ``scenario:`` is a deployment (:func:`is_deploy`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.diagnostics import Diagnostic, Diagnostics, Severity, did_you_mean
from engine.errors import ConfigError
from engine.masking import SECRETS
from engine.scenario.loader import LoadedYaml, load_yaml_file
from engine.scenario.validate import validate_model

__all__ = [
    "BotConfig",
    "BotSpec",
    "DeployConfig",
    "DeploySpec",
    "IntegrationConfig",
    "IntegrationSpec",
    "check_deploy",
    "is_deploy",
    "is_deploy_file",
    "load_deploy",
    "public_url_of",
]

BOT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Setting = str | int | bool


class BotSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", title="bot")

    scenario: str
    token: str
    settings: dict[str, Setting] = Field(default_factory=dict)


class IntegrationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", title="bot integration")

    package: str
    scenario: str
    settings: dict[str, Setting] = Field(default_factory=dict)


class DeploySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", title="deployment")

    public_url: str | None = None
    webhook_secret: str | None = None
    redis_url: str | None = None
    bots: dict[str, BotSpec] = Field(default_factory=dict)
    integrations: dict[str, IntegrationSpec] = Field(default_factory=dict)


@dataclass(frozen=True)
class BotConfig:
    """One bot, resolved: its scenario file and the environment it runs with."""

    name: str
    scenario: Path
    token: str
    environ: Mapping[str, str]


@dataclass(frozen=True)
class IntegrationConfig:
    """An integration, resolved: the package whose hook connects its bots, their scenario, and
    its settings (the environment its bots run with, under each bot's own)."""

    name: str
    package: str
    scenario: Path
    environ: Mapping[str, str]


@dataclass(frozen=True)
class DeployConfig:
    path: Path
    public_url: str | None
    webhook_secret: str | None
    redis_url: str | None
    bots: tuple[BotConfig, ...]
    integrations: tuple[IntegrationConfig, ...] = ()
    loaded: LoadedYaml | None = field(default=None, compare=False, repr=False)


def is_deploy(loaded: LoadedYaml) -> bool:
    """A deployment file: a mapping with ``bots`` or ``integrations`` and without ``scenario``."""
    data = loaded.data
    return isinstance(data, dict) and ("bots" in data or "integrations" in data) \
        and "scenario" not in data


def is_deploy_file(path: Path) -> bool:
    """Whether ``check`` should read ``path`` as a deployment (a scenario otherwise)."""
    loaded, _ = load_yaml_file(path)
    return loaded is not None and is_deploy(loaded)


def check_deploy(path: Path) -> list[Diagnostic]:
    """``engine check DEPLOY.yaml``: the file itself, then every scenario it names
    (``${VAR}`` references are not resolved: the environment of ``serve`` may differ)."""
    from engine.scenario.pipeline import load_bundle

    config, diagnostics = load_deploy(path)
    if config is None:
        return diagnostics
    declared: dict[Path, tuple[str, list[str]]] = {}
    entries = [("bots", b.name, b.scenario, b.environ) for b in config.bots] + \
        [("integrations", i.name, i.scenario, i.environ) for i in config.integrations]
    for scenario in dict.fromkeys(entry[2] for entry in entries):
        bundle, found = load_bundle(scenario)
        diagnostics.extend(found)
        if bundle is not None:
            declared[scenario] = (bundle.scenario.scenario, list(bundle.scenario.settings))
    for section, name, scenario, settings in entries:
        if scenario in declared and config.loaded is not None:
            diagnostics.extend(_setting_typos(config.loaded, (section, name), declared[scenario],
                                              settings))
    return diagnostics


def _setting_typos(loaded: LoadedYaml, where: tuple[str, str], scenario: tuple[str, list[str]],
                   settings: Mapping[str, str]) -> list[Diagnostic]:
    """A setting the scenario does not declare but nearly does (``MANAGER_CHAT_IDS``): a warning.
    Other undeclared names pass: they are environment variables of packages (DATABASE_URL)."""
    scenario_id, names = scenario
    found = []
    for key in settings:
        close = did_you_mean(key, names) if key not in names else ""
        if close:
            pos = loaded.positions.key((*where, "settings", key)) or \
                loaded.positions.lookup((*where, "settings"))
            found.append(Diagnostic(
                pos.file, pos.line, pos.col, "unknown-setting",
                f"'{key}' is not a setting of scenario '{scenario_id}'{close}", Severity.WARNING,
                "the bot still gets it as an environment variable, which nothing may read"))
    return found


def _text(value: Setting) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Resolver:
    """``${VAR}`` -> the environment's value; an unset variable is a diagnostic at its place."""

    def __init__(self, loaded: LoadedYaml, environ: Mapping[str, str] | None,
                 out: Diagnostics) -> None:
        self.loaded, self.environ, self.out = loaded, environ, out

    def __call__(self, value: Setting, path: tuple[str | int, ...]) -> str:
        text = _text(value)
        if self.environ is None:
            return text
        env = self.environ

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                pos = self.loaded.positions.node(path) or self.loaded.positions.lookup(path)
                self.out.error(pos.file, pos.line, pos.col, "unset-variable",
                               f"environment variable {name} is not set",
                               hint=f"export {name}=... before 'serve', or write the value here")
                return ""
            return env[name]

        return VARIABLE.sub(replace, text)


def _check_variables(data: object, path: tuple[str | int, ...], resolve: _Resolver) -> None:
    """Every ``${VAR}`` of the raw data, so an unset one is reported even when the schema
    refuses the file (one run, every problem)."""
    if isinstance(data, dict):
        for key, value in data.items():
            _check_variables(value, (*path, key), resolve)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _check_variables(value, (*path, index), resolve)
    elif isinstance(data, str) and VARIABLE.search(data):
        resolve(data, path)


def _check_names(data: dict[str, Any], loaded: LoadedYaml, out: Diagnostics) -> None:
    if not data.get("bots") and not data.get("integrations"):
        pos = loaded.positions.lookup(("bots",) if "bots" in data else ())
        out.error(pos.file, pos.line, pos.col, "no-bots", "the deployment lists no bot",
                  hint="add one: bots: {shop: {scenario: scenarios/orders.yaml, token: ${BOT_TOKEN}}}")
    for section, what in (("bots", "bot"), ("integrations", "integration")):
        names = data.get(section)
        for name in names if isinstance(names, dict) else ():
            if not BOT_NAME.fullmatch(str(name)):
                pos = loaded.positions.lookup((section, name))
                out.error(pos.file, pos.line, pos.col, "invalid-id",
                          f"invalid {what} name '{name}': lower-case letters, digits, '_' and '-' "
                          "(at most 32), starting with a letter or digit; it is part of webhook URLs")


def _scenario_path(path: Path, raw: str, loaded: LoadedYaml, where: tuple[str, str],
                   out: Diagnostics) -> Path:
    scenario = Path(raw) if Path(raw).is_absolute() else path.parent / raw
    if not scenario.is_file():
        pos = loaded.positions.node((*where, "scenario")) or loaded.positions.lookup(where)
        out.error(pos.file, pos.line, pos.col, "file-read",
                  f"no scenario file '{raw}' (looked for {scenario})")
    return scenario


def load_deploy(path: Path, environ: Mapping[str, str] | None = None,
                ) -> tuple[DeployConfig | None, list[Diagnostic]]:
    """Read and check ``path``; with ``environ``, resolve ``${VAR}`` references from it.

    Returns the configuration only when there is no error. Resolved tokens, webhook secrets and
    secret-looking settings are registered with :data:`~engine.masking.SECRETS`.
    """
    out = Diagnostics()
    loaded, problems = load_yaml_file(path)
    out.extend(problems)
    if loaded is None:
        return None, out.sorted()
    if not isinstance(loaded.data, dict):
        pos = loaded.positions.lookup(())
        out.error(pos.file, pos.line, pos.col, "schema",
                  "a deployment file must be a mapping with 'bots'")
        return None, out.sorted()
    _check_names(loaded.data, loaded, out)
    resolve = _Resolver(loaded, environ, out)
    spec, problems = validate_model(loaded, DeploySpec)
    out.extend(problems)
    if spec is None:
        _check_variables(loaded.data, (), resolve)
        return None, out.sorted()
    bots = []
    for name, bot in spec.bots.items():
        where = ("bots", name)
        settings = {key: resolve(value, (*where, "settings", key))
                    for key, value in bot.settings.items()}
        token = resolve(bot.token, (*where, "token"))
        scenario = _scenario_path(path, bot.scenario, loaded, where, out)
        SECRETS.add(token)
        SECRETS.add_environ(settings)
        bots.append(BotConfig(name, scenario, token, settings))
    integrations = []
    for name, integration in spec.integrations.items():
        where = ("integrations", name)
        settings = {key: resolve(value, (*where, "settings", key))
                    for key, value in integration.settings.items()}
        SECRETS.add_environ(settings)
        scenario = _scenario_path(path, integration.scenario, loaded, where, out)
        integrations.append(IntegrationConfig(name, integration.package, scenario, settings))

    def optional(key: str) -> str | None:
        value: Any = getattr(spec, key)
        return None if value is None else resolve(value, (key,)) or None

    config = DeployConfig(path, optional("public_url"), optional("webhook_secret"),
                          optional("redis_url"), tuple(bots), tuple(integrations), loaded)
    SECRETS.add(config.webhook_secret)
    if out.has_errors:
        return None, out.sorted()
    return config, out.sorted()


def public_url_of(config: DeployConfig, environ: Mapping[str, str]) -> str:
    """Where Telegram reaches this server: DEPLOY.yaml's ``public_url``, else ``PUBLIC_URL``."""
    raw = (config.public_url or environ.get("PUBLIC_URL", "")).strip()
    if not raw:
        raise ConfigError("PUBLIC_URL is required for 'serve': the https address where Telegram "
                          "reaches this server (public_url in DEPLOY.yaml, or the environment)")
    url = urllib.parse.urlsplit(raw)
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
        raise ConfigError(f"PUBLIC_URL must be an http(s) address like https://bots.example.org, "
                          f"not {raw!r}")
    return raw.rstrip("/")
