"""Diagnostics: one value type for every problem found in a scenario, and its output formats.

A diagnostic prints as ``path:line:col: error[code]: message`` (line and column are 1-based),
optionally followed by an indented ``hint:`` line. ``--format json`` emits a list of objects.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

__all__ = [
    "Diagnostic",
    "Diagnostics",
    "Severity",
    "did_you_mean",
    "mention",
    "render_json",
    "render_text",
    "suggestions",
]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place. Ordering sorts by file, line, column, then code."""

    file: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = field(default=Severity.ERROR, compare=False)
    hint: str | None = field(default=None, compare=False)

    def format(self) -> str:
        head = f"{self.file}:{self.line}:{self.col}: {self.severity}[{self.code}]: {self.message}"
        if self.hint:
            return f"{head}\n    hint: {self.hint}"
        return head

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


class Diagnostics:
    """A collector: add problems as they are found, read them back sorted and de-duplicated."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        self._items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self._items.extend(diagnostics)

    def error(
        self, file: str, line: int, col: int, code: str, message: str, hint: str | None = None
    ) -> None:
        self.add(Diagnostic(file, line, col, code, message, Severity.ERROR, hint))

    def warning(
        self, file: str, line: int, col: int, code: str, message: str, hint: str | None = None
    ) -> None:
        self.add(Diagnostic(file, line, col, code, message, Severity.WARNING, hint))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items)

    def sorted(self) -> list[Diagnostic]:
        """All diagnostics, sorted by position, exact duplicates removed."""
        seen: set[tuple[str, int, int, str, str]] = set()
        out: list[Diagnostic] = []
        for d in sorted(self._items):
            key = (d.file, d.line, d.col, d.code, d.message)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return out

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.sorted())


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    previous: list[int] = []
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        before, previous, row = previous, row, [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[-1]


def suggestions(word: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """The candidates closest to ``word`` that are likely what was meant (a typo, another case),
    all of them when several are equally close (``drinkx``: ``drink`` and ``drinks``), sorted;
    none when ``word`` is itself a candidate or nothing is close enough."""
    pool = sorted({c for c in candidates if isinstance(c, str)})
    if word in pool:
        return []
    lowered = word.lower()
    close = [c for c in pool
             if difflib.SequenceMatcher(None, lowered, c.lower()).ratio() >= 0.6]
    if not close:
        return []
    distances = {c: _distance(lowered, c.lower()) for c in close}
    best = min(distances.values())
    return [c for c in close if distances[c] == best][:limit]


def mention(names: Sequence[str]) -> str:
    """`` (did you mean 'x'?)``, `` (did you mean 'x' or 'y'?)``, or an empty string."""
    if not names:
        return ""
    quoted = [f"'{n}'" for n in names]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" (did you mean {listed}?)"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` (every equally close name listed) or an empty string."""
    return mention(suggestions(word, candidates))


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(d.format() for d in diagnostics)


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diagnostics], ensure_ascii=False, indent=2)
