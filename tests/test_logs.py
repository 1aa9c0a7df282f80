"""Log lines as JSON objects naming the bot and the update, secrets masked."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from engine.cli import main
from engine.logs import bind_update, use_format
from engine.masking import MaskingFilter, Secrets

TOKEN = "123456:AAE-logs-test-secret-token-value-xx"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    logger = logging.getLogger("tests.logs")
    handler = logging.StreamHandler(stream)
    secrets = Secrets()
    secrets.add(TOKEN)
    handler.addFilter(MaskingFilter(secrets))
    logger.addHandler(handler)
    logger.propagate = False
    use_format("json", logger)
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_lines_logged_while_handling_an_update_name_the_bot_and_the_update(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged

    async def handle() -> None:
        bind_update("cafe", 42)
        logger.warning("answered with token %s", TOKEN)

    await asyncio.create_task(handle())
    logger.warning("outside any update")
    inside, outside = lines(stream)
    assert inside["bot"] == "cafe"
    assert inside["update_id"] == 42
    assert inside["level"] == "warning"
    assert inside["logger"] == "tests.logs"
    assert inside["message"] == "answered with token ***"
    assert "bot" not in outside
    assert "update_id" not in outside


def test_a_traceback_is_one_masked_json_field(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        logger.exception("boom", extra={"bot": "desk"})
    (entry,) = lines(stream)
    assert entry["bot"] == "desk"
    assert "RuntimeError: failed with ***" in str(entry["exc"])
    assert TOKEN not in stream.getvalue()


def test_an_unknown_log_format_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "xml")
    assert main(["check", "scenarios/demo.yaml"]) == 2
    assert capsys.readouterr().err.strip() == \
        "configuration error: LOG_FORMAT must be text or json, not 'xml'"
