"""The emulator's world: what users do becomes Bot API updates; what bots send is readable."""

from __future__ import annotations

import asyncio

import pytest

from engine.playground.botapi import BotApiEmulator, EmulatorError, UserAccount, dispatch

TOKEN = "123456:WORLD"
NOW = 1_700_000_000.0


@pytest.fixture
def world() -> BotApiEmulator:
    emulator = BotApiEmulator(clock=lambda: NOW)
    emulator.add_bot(TOKEN, "world_bot", "World Bot")
    return emulator


@pytest.fixture
def ann(world: BotApiEmulator) -> UserAccount:
    return world.add_user("Ann", last_name="Lee", username="ann", language_code="ru")


async def bot_says(world: BotApiEmulator, chat_id: int, text: str, **extra: object) -> int:
    reply = await dispatch(world, TOKEN, "sendMessage", {"chat_id": chat_id, "text": text, **extra})
    assert reply.status == 200, reply.body
    message_id: int = reply.body["result"]["message_id"]
    return message_id


def test_user_text_becomes_a_message_update_serialised_like_the_bot_api(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    update = world.send_text(TOKEN, ann.id, ann, "hello")
    assert update == {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "from": {
                "id": ann.id,
                "is_bot": False,
                "first_name": "Ann",
                "last_name": "Lee",
                "username": "ann",
                "language_code": "ru",
            },
            "date": int(NOW),
            "chat": {
                "id": ann.id,
                "type": "private",
                "first_name": "Ann",
                "last_name": "Lee",
                "username": "ann",
            },
            "text": "hello",
        },
    }


def test_commands_carry_a_bot_command_entity(world: BotApiEmulator, ann: UserAccount) -> None:
    update = world.send_command(TOKEN, ann.id, ann, "start", "ref_42")
    assert update["message"]["text"] == "/start ref_42"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


def test_update_and_message_ids_increase(world: BotApiEmulator, ann: UserAccount) -> None:
    first = world.send_text(TOKEN, ann.id, ann, "1")
    second = world.send_text(TOKEN, ann.id, ann, "2", reply_to=1)
    assert second["update_id"] == first["update_id"] + 1
    assert second["message"]["message_id"] == 2
    assert second["message"]["reply_to_message"]["message_id"] == 1


async def test_click_creates_a_callback_query_for_an_existing_button(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    world.private_chat(TOKEN, ann)
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    message_id = await bot_says(world, ann.id, "Sure?", reply_markup=markup)
    query = world.click(TOKEN, ann.id, ann, message_id, "yes")["callback_query"]
    assert query["data"] == "yes"
    assert query["from"]["id"] == ann.id
    assert query["message"]["message_id"] == message_id
    assert query["message"]["reply_markup"] == markup
    assert isinstance(query["id"], str)
    assert isinstance(query["chat_instance"], str)


async def test_click_on_a_button_that_is_not_there_fails_loudly(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    world.private_chat(TOKEN, ann)
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    message_id = await bot_says(world, ann.id, "Sure?", reply_markup=markup)
    with pytest.raises(EmulatorError, match="no button with callback_data 'no'"):
        world.click(TOKEN, ann.id, ann, message_id, "no")
    with pytest.raises(EmulatorError, match="has no message 99"):
        world.click(TOKEN, ann.id, ann, 99, "yes")


async def test_click_text_presses_the_latest_button_with_that_label(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    world.private_chat(TOKEN, ann)
    await bot_says(
        world,
        ann.id,
        "a",
        reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "old"}]]},
    )
    await bot_says(
        world,
        ann.id,
        "b",
        reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "new"}]]},
    )
    assert world.click_text(TOKEN, ann.id, ann, "Go")["callback_query"]["data"] == "new"


def test_shared_contact_defaults_to_the_senders_own_id(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    contact = world.share_contact(TOKEN, ann.id, ann, "+10000000000")["message"]["contact"]
    assert contact == {
        "phone_number": "+10000000000",
        "first_name": "Ann",
        "user_id": ann.id,
        "last_name": "Lee",
    }


def test_a_forwarded_contact_carries_a_foreign_user_id(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    update = world.share_contact(TOKEN, ann.id, ann, "+1555", first_name="Bob", contact_user_id=7)
    assert update["message"]["contact"] == {
        "phone_number": "+1555",
        "first_name": "Bob",
        "user_id": 7,
    }


def test_location_and_documents_are_sent_as_the_bot_api_shapes_them(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    location = world.send_location(TOKEN, ann.id, ann, 55.75, 37.62)["message"]["location"]
    assert location == {"latitude": 55.75, "longitude": 37.62}
    message = world.send_document(TOKEN, ann.id, ann, b"%PDF-1.4", "a.pdf", caption="scan")[
        "message"
    ]
    assert message["caption"] == "scan"
    assert message["document"]["file_name"] == "a.pdf"
    assert message["document"]["mime_type"] == "application/pdf"
    assert message["document"]["file_size"] == 8
    assert world.file_bytes(message["document"]["file_id"]) == b"%PDF-1.4"


async def test_bot_messages_are_readable_with_their_buttons(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    chat = world.private_chat(TOKEN, ann)
    world.send_text(TOKEN, chat, ann, "hi")
    markup = {
        "inline_keyboard": [
            [{"text": "A", "callback_data": "a"}, {"text": "Site", "url": "https://example.org"}]
        ]
    }
    await bot_says(world, ann.id, "<b>Menu</b>", parse_mode="HTML", reply_markup=markup)
    assert [m.text for m in world.messages(chat)] == ["hi", "Menu"]
    menu = world.bot_messages(chat)[0]
    assert menu.keyboard_kind == "inline"
    assert [(b.text, b.callback_data, b.url) for b in menu.buttons[0]] == [
        ("A", "a", None),
        ("Site", None, "https://example.org"),
    ]
    assert menu.entities == [{"type": "bold", "offset": 0, "length": 4}]


async def test_the_current_reply_keyboard_is_tracked_until_removed(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    chat = world.private_chat(TOKEN, ann)
    keyboard = {"keyboard": [[{"text": "Menu"}], [{"text": "Phone", "request_contact": True}]]}
    await bot_says(world, ann.id, "pick", reply_markup=keyboard)
    await bot_says(world, ann.id, "still there")
    current = world.reply_keyboard(chat)
    assert current is not None
    assert [[b.text for b in row] for row in current] == [["Menu"], ["Phone"]]
    await bot_says(world, ann.id, "gone", reply_markup={"remove_keyboard": True})
    assert world.reply_keyboard(chat) is None


async def test_pressing_reply_keyboard_buttons(world: BotApiEmulator, ann: UserAccount) -> None:
    keyboard = {"keyboard": [[{"text": "Menu"}, {"text": "Phone", "request_contact": True}]]}
    world.private_chat(TOKEN, ann)
    await bot_says(world, ann.id, "pick", reply_markup=keyboard)
    assert world.press_reply_button(TOKEN, ann.id, ann, "Menu")["message"]["text"] == "Menu"
    shared = world.press_reply_button(TOKEN, ann.id, ann, "Phone", phone_number="+1")
    assert shared["message"]["contact"]["user_id"] == ann.id
    with pytest.raises(EmulatorError, match="no button 'Help'"):
        world.press_reply_button(TOKEN, ann.id, ann, "Help")


async def test_every_api_call_is_recorded(world: BotApiEmulator, ann: UserAccount) -> None:
    world.private_chat(TOKEN, ann)
    await bot_says(world, ann.id, "ok")
    await dispatch(world, TOKEN, "sendMessage", {"chat_id": ann.id})
    ok, failed = world.calls
    assert (ok.method, ok.ok, ok.params) == ("sendMessage", True, {"chat_id": ann.id, "text": "ok"})
    assert (failed.ok, failed.error_code) == (False, 400)
    assert failed.error_description == 'Bad Request: parameter "text" is required'


async def test_fail_next_answers_scripted_errors_then_recovers(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    world.private_chat(TOKEN, ann)
    world.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    reply = await dispatch(world, TOKEN, "sendMessage", {"chat_id": ann.id, "text": "x"})
    assert reply.status == 429
    assert reply.body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert (
        await dispatch(world, TOKEN, "sendMessage", {"chat_id": ann.id, "text": "x"})
    ).status == 200


async def test_fail_next_can_target_one_chat(world: BotApiEmulator, ann: UserAccount) -> None:
    bob = world.add_user("Bob")
    world.private_chat(TOKEN, ann)
    world.private_chat(TOKEN, bob)
    world.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=bob.id, times=2)
    assert (
        await dispatch(world, TOKEN, "sendMessage", {"chat_id": ann.id, "text": "x"})
    ).status == 200
    assert (
        await dispatch(world, TOKEN, "sendMessage", {"chat_id": bob.id, "text": "x"})
    ).status == 400


async def test_a_blocked_user_makes_sends_forbidden(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    world.block(TOKEN, ann)
    reply = await dispatch(world, TOKEN, "sendMessage", {"chat_id": ann.id, "text": "x"})
    assert (reply.status, reply.body["description"]) == (
        403,
        "Forbidden: bot was blocked by the user",
    )


async def test_a_bot_cannot_write_first(world: BotApiEmulator, ann: UserAccount) -> None:
    reply = await dispatch(world, TOKEN, "sendMessage", {"chat_id": ann.id, "text": "x"})
    assert reply.status == 403
    assert "can't initiate conversation" in reply.body["description"]


async def test_unknown_chats_are_not_found(world: BotApiEmulator) -> None:
    reply = await dispatch(world, TOKEN, "sendMessage", {"chat_id": 42, "text": "x"})
    assert (reply.status, reply.body["description"]) == (400, "Bad Request: chat not found")


async def test_unknown_tokens_are_unauthorized(world: BotApiEmulator) -> None:
    reply = await dispatch(world, "999:NOPE", "getMe", {})
    assert (reply.status, reply.body["description"]) == (401, "Unauthorized")


async def test_group_messages_come_from_members_and_go_to_the_bot(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    group = world.create_group("Team", members=[ann], bots=[TOKEN])
    update = world.send_text(TOKEN, group, ann, "hi all")
    assert update["message"]["chat"] == {"id": group.id, "type": "supergroup", "title": "Team"}
    outsider = world.add_user("Eve")
    with pytest.raises(EmulatorError, match="not a member"):
        world.send_text(TOKEN, group, outsider, "let me in")


async def test_wait_confirmed_returns_when_get_updates_moves_past_the_update(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    update_id = world.send_text(TOKEN, ann.id, ann, "hi")["update_id"]
    waiter = asyncio.create_task(world.wait_confirmed(update_id, timeout=2))
    first = await dispatch(world, TOKEN, "getUpdates", {})
    assert [u["update_id"] for u in first.body["result"]] == [update_id]
    assert not waiter.done()
    await dispatch(world, TOKEN, "getUpdates", {"offset": update_id + 1})
    confirmed = await waiter
    assert confirmed.confirmed_at == NOW
    assert confirmed.deliveries == 1


async def test_wait_confirmed_times_out(world: BotApiEmulator, ann: UserAccount) -> None:
    update_id = world.send_text(TOKEN, ann.id, ann, "hi")["update_id"]
    with pytest.raises(TimeoutError):
        await world.wait_confirmed(update_id, timeout=0.05)


async def test_take_updates_delivers_and_confirms_for_manual_feeding(
    world: BotApiEmulator, ann: UserAccount
) -> None:
    world.send_text(TOKEN, ann.id, ann, "a")
    world.send_text(TOKEN, ann.id, ann, "b")
    assert [u["message"]["text"] for u in world.take_updates(TOKEN)] == ["a", "b"]
    assert world.take_updates(TOKEN) == []
    assert all(u.confirmed for u in world.updates(TOKEN))
