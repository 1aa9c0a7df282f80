"""The production image (deploy/Dockerfile, deploy/docker-compose.yml). Docker cannot build here
(no registry for the base image), so the test runs what the Dockerfile runs: the files it copies
before its RUN, installed by the same script (deploy/install.sh, from PyPI into a fresh venv, not
editable), and then the installed engine from a folder holding only what the image adds
(scenarios/, templates/): the scenarios check, the migrations run, the playground serves its page."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
    return found


def test_the_image_runs_serve_as_an_unprivileged_user_with_a_health_check() -> None:
    steps = instructions()
    users = [args for word, args in steps if word == "USER"]
    assert users, "the image names its user"
    assert users[-1] not in ("root", "0")
    entry = next(args for word, args in steps if word == "ENTRYPOINT")
    assert '"-m", "engine"' in entry
    assert next(args for word, args in steps if word == "CMD").startswith('["serve"')
    assert "/healthz" in next(args for word, args in steps if word == "HEALTHCHECK")
    runs = [args for word, args in steps if word == "RUN"]
    assert any("deploy/install.sh" in run for run in runs), "the project's own install path"


def test_the_compose_file_runs_the_app_with_redis_and_postgresql() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"app", "redis", "postgres"}
    assert services["app"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["app"]["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert set(services["app"]["depends_on"]) == {"redis", "postgres"}


def _copied_before_install(target: Path) -> None:
    """What the Dockerfile COPYs before it RUNs the install, from the repository."""
    for word, args in instructions():
        if word == "RUN" and "deploy/install.sh" in args:
            return
        if word == "COPY":
            *sources, _ = shlex.split(args)
            for source in sources:
                path = ROOT / source
                if path.is_dir():
                    shutil.copytree(path, target / source, ignore=IGNORED)
                else:
                    (target / source).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / source)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.timeout(600)
def test_the_images_install_commands_produce_a_working_engine(tmp_path: Path) -> None:
    source, venv, app = tmp_path / "src", tmp_path / "venv", tmp_path / "app"
    source.mkdir()
    _copied_before_install(source)
    env = {**os.environ, "PYTHON": sys.executable, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    installed = subprocess.run(["sh", str(source / "deploy" / "install.sh"), str(source), str(venv)],
                               env=env, capture_output=True, text=True, timeout=540)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for folder in ("scenarios", "templates"):  # what the image copies after the install
        shutil.copytree(ROOT / folder, app / folder, ignore=IGNORED)
    python = str(venv / "bin" / "python")
    where = subprocess.run([python, "-c", "import engine; print(engine.__file__)"], cwd=app,
                           env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(venv)), "the installed engine, not this checkout"
    check = subprocess.run([python, "-m", "engine", "check", "scenarios/"], cwd=app, env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    migrate = subprocess.run([python, "-c", (
        "import asyncio; from actions.tickets.store import upgrade_database; "
        f"asyncio.run(upgrade_database('sqlite+aiosqlite:///{app / 'desk.db'}'))")],
        cwd=app, env=env, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    port = _free_port()
    log = tmp_path / "playground.log"
    with log.open("w", encoding="utf-8") as out:
        playground = subprocess.Popen([python, "-m", "engine", "playground", "--port", str(port)],
                                      cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert playground.poll() is None, log.read_text(encoding="utf-8")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert b"<html" in page.read().lower()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/app.js", timeout=2) as js:
                    assert js.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "the installed playground did not serve"
                time.sleep(0.3)
    finally:
        playground.terminate()
        playground.wait(timeout=30)
