"""The compact Bot API schema: derived from api.json, committed, and read through a typed API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.playground.botapi.spec import (
    DEFAULT_SCHEMA_PATH,
    build_compact_schema,
    dump_compact_schema,
    load_schema,
    main,
)

SHARED_API_JSON = Path(__file__).resolve().parents[1].parent / "shared" / "botapi" / "api.json"
needs_shared = pytest.mark.skipif(
    not SHARED_API_JSON.exists(),
    reason=f"the scraped spec {SHARED_API_JSON} is not available in this checkout",
)


@needs_shared
def test_committed_schema_equals_a_fresh_build_from_api_json() -> None:
    api_json = json.loads(SHARED_API_JSON.read_text(encoding="utf-8"))
    fresh = dump_compact_schema(build_compact_schema(api_json))
    assert DEFAULT_SCHEMA_PATH.read_text(encoding="utf-8") == fresh


@needs_shared
def test_cli_writes_the_compact_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "schema.json"
    assert main(["--source", str(SHARED_API_JSON), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == DEFAULT_SCHEMA_PATH.read_text(encoding="utf-8")
    assert "180 methods" in capsys.readouterr().out


def test_method_parameters_carry_types_and_required_flags() -> None:
    schema = load_schema()
    send = schema.method("sendMessage")
    assert send is not None
    assert send.params["chat_id"].types == ("Integer", "String")
    assert send.params["chat_id"].required
    assert not send.params["parse_mode"].required
    assert send.returns == ("Message",)


def test_method_lookup_ignores_case_like_telegram() -> None:
    schema = load_schema()
    method = schema.method("SENDmessage")
    assert method is not None
    assert method.name == "sendMessage"
    assert schema.method("sendTelepathy") is None


def test_nested_array_types_are_kept_as_type_expressions() -> None:
    markup = load_schema().type("InlineKeyboardMarkup")
    assert markup is not None
    assert markup.fields["inline_keyboard"].types == ("Array of Array of InlineKeyboardButton",)


def test_union_types_list_their_subtypes_and_members_know_their_discriminator() -> None:
    schema = load_schema()
    input_media = schema.type("InputMedia")
    photo = schema.type("InputMediaPhoto")
    assert input_media is not None
    assert photo is not None
    assert "InputMediaPhoto" in input_media.subtypes
    assert photo.fields["type"].const == "photo"


def test_schema_names_its_bot_api_version() -> None:
    assert load_schema().version.startswith("Bot API ")
