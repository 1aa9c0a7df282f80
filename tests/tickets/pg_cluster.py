"""A throwaway PostgreSQL cluster for tests: initdb into a temporary directory, listen on 127.0.0.1 only.

initdb refuses to run as root (CI runs as root), so under euid 0 the server runs as an unprivileged
account: ``postgres`` when the Debian package created it, otherwise a ``tgflow-postgres`` system user made
with ``useradd``. The temporary directory is handed to that account.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BINARIES = ("initdb", "pg_ctl", "postgres")
FALLBACK_ACCOUNT = "tgflow-postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"


class ClusterError(RuntimeError):
    pass


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    parts = bin_dir.parent.name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (0,)


def find_bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: next to those on PATH (symlinks resolved), else
    the newest ``/usr/lib/postgresql/<version>/bin`` (where the Debian package puts them, off PATH)."""
    candidates: list[Path] = []
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for directory in candidates:
        if all((directory / name).is_file() for name in BINARIES):
            return directory
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _unprivileged_account() -> pwd.struct_passwd:
    for name in (SUPERUSER, FALLBACK_ACCOUNT):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    useradd = shutil.which("useradd")
    if useradd is None:
        raise ClusterError("running as root, no 'postgres' account and no useradd to create one")
    subprocess.run([useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", FALLBACK_ACCOUNT], check=True, capture_output=True)
    return pwd.getpwnam(FALLBACK_ACCOUNT)


@dataclass
class PostgresCluster:
    bin_dir: Path
    base: Path
    port: int = 0
    account: pwd.struct_passwd | None = None

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_file(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server binary, as the unprivileged account when we are root."""
        drop: dict[str, Any] = {}
        if self.account is not None:
            drop = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
        return subprocess.run([str(self.bin_dir / args[0]), *args[1:]], cwd=self.base, env=env,
                              capture_output=True, text=True, timeout=120, check=False, **drop)

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            output = f"{result.stdout}\n{result.stderr}\n{log}"
            raise ClusterError(f"{what} failed ({result.returncode}):\n{output}")

    @classmethod
    def start(cls, bin_dir: Path) -> PostgresCluster:
        base = Path(tempfile.mkdtemp(prefix="tgflow-pg-"))
        cluster = cls(bin_dir=bin_dir, base=base)
        try:
            if os.geteuid() == 0:
                cluster.account = _unprivileged_account()
                os.chown(base, cluster.account.pw_uid, cluster.account.pw_gid)
                base.chmod(0o700)
            initdb = cluster._run("initdb", "-D", str(cluster.data_dir), "-U", SUPERUSER, "--auth=trust",
                                  "--no-sync", "--locale=C", "--encoding=UTF8")
            cluster._check(initdb, "initdb")
            cluster._serve()
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        return cluster

    def _serve(self) -> None:
        options = f"-k {self.base} -h {HOST} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        for attempt in range(3):  # the free port may be grabbed between probing and binding
            self.port = free_port()
            result = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "30",
                               "-o", f"{options} -p {self.port}", "start")
            if result.returncode == 0:
                return
            if attempt == 2:
                self._check(result, "pg_ctl start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
