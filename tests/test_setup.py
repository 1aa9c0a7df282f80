"""The set-up a fresh machine runs (`make demo`, `make test`): a working .venv made by the project's own
files, an install only when pyproject.toml changed, and no generated file tracked by git."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "ensure-venv.sh"
GENERATED = re.compile(r"(^|/)(\.venv|venv|__pycache__|\.mypy_cache|\.ruff_cache|\.pytest_cache|"
                       r"node_modules|build|dist|[^/]+\.egg-info)/|\.py[co]$")

TINY_PYPROJECT = """\
[build-system]
requires = ["setuptools", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "tinypkg"
version = "{version}"

[project.optional-dependencies]
x = []

[tool.setuptools]
packages = ["tinypkg"]
"""


def test_git_tracks_no_generated_file() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert files, "git ls-files listed nothing"
    assert [f for f in files if GENERATED.search(f)] == []


def test_the_generated_pattern_catches_what_once_broke_a_fresh_clone() -> None:
    for tracked in (".venv/bin/mypy", "engine/__pycache__/cli.cpython-311.pyc", "tgflow.egg-info/PKG-INFO",
                    "node_modules/x/index.js", ".mypy_cache/3.11/x.json"):
        assert GENERATED.search(tracked), tracked
    for source in ("engine/cli.py", "tools/ensure-venv.sh", "scenarios/orders.yaml", "bench/run.py"):
        assert not GENERATED.search(source), source


def test_the_makefile_runs_every_tool_through_the_venv_interpreter() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    scripts = re.findall(r"\$\(BIN\)/(?!python\b)(\S+)", makefile)
    assert scripts == [], f"tools called through their shebang: {scripts}"
    assert "tools/ensure-venv.sh" in makefile


def test_the_set_up_installs_every_extra_the_project_declares() -> None:
    """An extra left out of the default install passes on a developer's venv and fails a fresh clone
    (the archive's aiobotocore once did: two test modules could not import on CI)."""
    import tomllib

    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                   ["project"]["optional-dependencies"])
    default = re.search(r"^EXTRAS=\$\{EXTRAS:-([\w,]+)\}", SCRIPT.read_text(encoding="utf-8"), re.M)
    assert default, "tools/ensure-venv.sh sets no default EXTRAS"
    assert set(default.group(1).split(",")) == declared


class TinyProject:
    """A copy of the set-up script beside a one-module project, so the script's paths are exercised
    for real (venv, pip, stamp) in seconds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tools").mkdir(parents=True)
        shutil.copy(SCRIPT, root / "tools" / "ensure-venv.sh")
        (root / "tinypkg").mkdir()
        (root / "tinypkg" / "__init__.py").write_text("", encoding="utf-8")
        self.set_version("0.1")

    def set_version(self, version: str) -> None:
        (self.root / "pyproject.toml").write_text(TINY_PYPROJECT.format(version=version), encoding="utf-8")

    def setup(self) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "EXTRAS": "x", "CHECK_IMPORTS": "tinypkg", "PY": sys._base_executable}
        env.pop("VIRTUAL_ENV", None)
        return subprocess.run(["bash", "tools/ensure-venv.sh"], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=300)

    @property
    def python(self) -> Path:
        return self.root / ".venv" / "bin" / "python"

    def installed_version(self) -> str:
        return subprocess.run([str(self.python), "-c",
                               "import importlib.metadata as m; print(m.version('tinypkg'))"],
                              capture_output=True, text=True, check=True).stdout.strip()

    def pip_runs(self) -> float:
        """When pip last ran (the script logs each install to .venv/pip.log)."""
        return (self.root / ".venv" / "pip.log").stat().st_mtime_ns


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyProject:
    project = TinyProject(tmp_path_factory.mktemp("tiny") / "checkout")
    first = project.setup()
    assert first.returncode == 0, first.stderr
    return project


def test_a_fresh_checkout_gets_a_venv_with_the_project_installed(tiny: TinyProject) -> None:
    assert tiny.installed_version() == "0.1"
    assert (tiny.root / ".venv" / ".tgflow-installed").read_text().split()[1] == "x"


def test_a_second_setup_installs_nothing(tiny: TinyProject) -> None:
    before = tiny.pip_runs()
    again = tiny.setup()
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert tiny.pip_runs() == before


def test_a_changed_pyproject_installs_again(tiny: TinyProject) -> None:
    tiny.set_version("0.2")
    changed = tiny.setup()
    assert changed.returncode == 0, changed.stderr
    assert "installing the project" in changed.stderr
    assert tiny.installed_version() == "0.2"


def test_a_venv_from_another_checkout_is_made_anew(tiny: TinyProject, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(tiny.root, moved, symlinks=True)
    copy = TinyProject.__new__(TinyProject)
    copy.root = moved
    result = copy.setup()
    assert result.returncode == 0, result.stderr
    assert "missing or broken" in result.stderr
    prefix = subprocess.run([str(copy.python), "-c", "import sys; print(sys.prefix)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert Path(prefix).resolve() == (moved / ".venv").resolve()


def test_a_venv_whose_interpreter_is_gone_is_made_anew(tiny: TinyProject) -> None:
    tiny.python.unlink()
    result = tiny.setup()
    assert result.returncode == 0, result.stderr
    assert "missing or broken" in result.stderr
    assert tiny.installed_version() == "0.2"


def test_a_failed_install_says_so_in_one_line_and_stamps_nothing(tmp_path: Path) -> None:
    broken = TinyProject(tmp_path / "broken")
    (broken.root / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = 'not a version'\n",
                                                encoding="utf-8")
    result = broken.setup()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("set-up: pip install failed")
    assert not (broken.root / ".venv" / ".tgflow-installed").exists()
