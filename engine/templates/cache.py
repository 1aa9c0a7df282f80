"""Compiled template code kept between loads of the same sources.

Compiling Jinja is most of what loading a bot costs (the orders bot: ~520 templates and labels,
about 1 s). The playground reloads a bot each time one of its files is saved, and usually one
file changed: a :class:`CompileCache` given to :meth:`TemplateStore.load
<engine.templates.store.TemplateStore.load>` keeps, per source text, the compiled code and what
the analysis found, so only the changed sources compile again. The code is bound to each new
environment (``Template.from_code``), so nothing of an old version's environment is shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import CodeType

from engine.templates.analysis import Ref

__all__ = ["CachedUnit", "CompileCache"]


@dataclass(frozen=True)
class CachedUnit:
    code: CodeType
    plain: CodeType | None  # labels: the same source without autoescape
    variables: frozenset[str]
    declared: frozenset[str]
    refs: tuple[Ref, ...]


@dataclass
class CompileCache:
    """Compiled units by ``(kind, internal name, file name, source)``; the oldest entries go
    beyond ``limit``. One per live bot, never shared between processes."""

    limit: int = 5000
    entries: dict[tuple[str, str, str, str], CachedUnit] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def get(self, key: tuple[str, str, str, str]) -> CachedUnit | None:
        found = self.entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: tuple[str, str, str, str], unit: CachedUnit) -> None:
        self.entries[key] = unit
        while len(self.entries) > self.limit:
            del self.entries[next(iter(self.entries))]
