"""Pytest collects every conversation test (``*.yaml``) here: one test item per file, failing
with the same report as ``python -m engine test``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.playground.conversations import run_file


class ConversationFailed(Exception):
    pass


class ConversationItem(pytest.Item):
    def runtest(self) -> None:
        outcome = asyncio.run(run_file(self.path))
        if not outcome.passed:
            raise ConversationFailed(outcome.report)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: str | None = None) -> str:
        if isinstance(excinfo.value, ConversationFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"conversation {self.path.name}"


class ConversationFile(pytest.File):
    def collect(self) -> Iterator[ConversationItem]:
        yield ConversationItem.from_parent(self, name=self.path.stem)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> ConversationFile | None:
    if file_path.suffix == ".yaml":
        return ConversationFile.from_parent(parent, path=file_path)
    return None
