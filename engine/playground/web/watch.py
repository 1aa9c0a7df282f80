"""Which files changed on disk: polled snapshots of folders (no inotify dependency).

Polling a few hundred files every quarter of a second costs well under a millisecond per round
on a local disk and behaves the same on every file system (Docker volumes and editors that
replace files by renaming included).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Snapshot", "Watched"]

Stamp = tuple[int, int]  # (mtime in ns, size)
_SKIP_DIRS = {"__pycache__", ".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache"}


def _walk(root: Path, suffixes: frozenset[str]) -> Iterable[tuple[str, Stamp]]:
    if root.is_file():
        stat = root.stat()
        yield str(root), (stat.st_mtime_ns, stat.st_size)
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if Path(name).suffix.lower() not in suffixes or name.startswith("."):
                continue
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:  # removed while walking
                continue
            yield path, (stat.st_mtime_ns, stat.st_size)


@dataclass
class Snapshot:
    """Stamps of the files under ``roots`` whose suffix is one of ``suffixes``."""

    stamps: dict[str, Stamp] = field(default_factory=dict)

    @classmethod
    def take(cls, roots: Iterable[Path], suffixes: Iterable[str]) -> Snapshot:
        wanted = frozenset(s.lower() for s in suffixes)
        stamps: dict[str, Stamp] = {}
        for root in roots:
            if root.exists():
                stamps.update(_walk(root, wanted))
        return cls(stamps)

    def changed_since(self, before: Snapshot) -> list[str]:
        """Files added, removed or modified since ``before``, sorted."""
        keys = self.stamps.keys() | before.stamps.keys()
        return sorted(k for k in keys if self.stamps.get(k) != before.stamps.get(k))


class Watched:
    """A set of folders watched for changes: :meth:`poll` tells what changed since last time."""

    def __init__(self, roots: Iterable[Path], suffixes: Iterable[str]) -> None:
        self.roots = [Path(r) for r in roots]
        self.suffixes = tuple(suffixes)
        self.last = Snapshot.take(self.roots, self.suffixes)

    def poll(self) -> list[str]:
        now = Snapshot.take(self.roots, self.suffixes)
        changed = now.changed_since(self.last)
        self.last = now
        return changed
