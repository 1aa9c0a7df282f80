"""Abuse: callback data a modified client makes up, HTML and Jinja typed where a name or a note
goes, and texts far over what an input takes. Each is answered calmly, changes nothing it should
not, shows user text as text, and never makes the bot send what Telegram would refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.testing import Actor, Playground
from tests.shop.conftest import NOON, ORDERS, Regos, open_item, start
from tests.tickets.desk_kit import VIN, open_desk

INJECTED = "<b>{{ 7*7 }}</b> & {% if 1 %}x{% endif %} <script>alert(1)</script>"
ESCAPED = "&lt;b&gt;{{ 7*7 }}&lt;/b&gt; &amp; {% if 1 %}x{% endif %} &lt;script&gt;"
HUGE = "Я" * 4096 + "<b>" + "{{" * 100


@pytest.fixture
async def play(regos: Regos) -> AsyncIterator[Playground]:
    async with Playground.open(ORDERS, environ=regos.environ(), clock=lambda: NOON) as play:
        yield play
        assert play.rejected_calls() == [], "the bot never sends what Telegram refuses"


def sent_texts(play: Playground) -> str:
    """Everything the bot sent, as Telegram received it (HTML, captions inside media too)."""
    return "\n".join(str(c.params) for c in play.calls() if c.ok)


async def with_a_cart(play: Playground, regos: Regos, name: str, item_index: int) -> Actor:
    user = await start(play, name)
    items = regos.items(lambda i: regos.orderable(i) and regos.piece(i) and regos.stock(i) >= 5
                        and i.prices[1] >= 10_000)  # two make an order over the minimum
    await open_item(user, items[item_index])
    await user.send("2")
    await user.click("🛒 Корзина")
    return user


def forge_on_last(play: Playground, user: Actor, widget_data: str) -> dict[str, object]:
    """A press on the user's last message with ``widget_data`` behind the dialog's own prefix."""
    prefix = next(b.callback_data for row in user.last.buttons for b in row
                  if b.callback_data).split("\x1d")[0]
    return play.emulator.forge_callback(play.bot, user.chat, user.account, user.last.message_id,
                                        f"{prefix}\x1d{widget_data}")


async def test_a_made_up_cart_line_neither_shows_nor_changes_someone_elses_cart(
        play: Playground, regos: Regos) -> None:
    alice = await with_a_cart(play, regos, "Alice", 0)
    bob = await with_a_cart(play, regos, "Bob", 1)
    alices_item = next(b for b in alice.buttons() if " — 2" in b)
    alices_id = str(next(b.callback_data for row in alice.last.buttons for b in row
                         if b.text == alices_item)).rsplit(":", 1)[1]
    for data in (f"line:{alices_id}", "line:999999", "line:-1", "line:1' OR 1=1", "line:"):
        await play.deliver(forge_on_last(play, bob, data))
    await play.deliver(forge_on_last(play, bob, "remove"))
    await play.deliver(forge_on_last(play, bob, "plus"))
    assert alices_item.split(" — ")[0] not in sent_texts_to(play, bob)
    await alice.click("🏠 Меню")
    await alice.click("🛒 Корзина")
    assert alices_item in alice.buttons(), "Alice's cart is as she left it"


def sent_texts_to(play: Playground, user: Actor) -> str:
    return "\n".join(m.content or "" for m in user.messages)


async def test_another_dialogs_buttons_cannot_be_pressed_by_a_made_up_prefix(
        play: Playground, regos: Regos) -> None:
    alice = await with_a_cart(play, regos, "Alice", 0)
    bob = await start(play, "Bob")
    alices_prefix = next(b.callback_data for row in alice.last.buttons for b in row
                         if b.callback_data).split("\x1d")[0]
    await play.deliver(play.emulator.forge_callback(
        play.bot, bob.chat, bob.account, bob.last.message_id, f"{alices_prefix}\x1dclear"))
    await alice.click("🏠 Меню")
    await alice.click("🛒 Корзина")
    assert any(" — 2" in b for b in alice.buttons()), "Alice's cart was not cleared"


async def test_html_and_jinja_in_a_customer_name_are_shown_as_typed(play: Playground) -> None:
    mallory = await start(play, INJECTED)
    assert "{{ 7*7 }}" in (mallory.last.text or "")
    assert "49" not in (mallory.last.text or "")
    assert ESCAPED in sent_texts(play)


async def test_html_and_jinja_in_a_note_reach_the_review_as_text(play: Playground,
                                                                 regos: Regos) -> None:
    alice = await with_a_cart(play, regos, "Alice", 0)
    await alice.click("✅ Оформить заказ")
    if "Куда доставить?" not in (alice.last.text or ""):
        await alice.share_contact("998901234567")  # checkout goes on once the phone is known
    await alice.send_location(41.31, 69.24)
    await alice.send(INJECTED)
    assert "Проверьте заказ" in (alice.last.text or "")
    assert "{{ 7*7 }}" in (alice.last.text or "")
    assert ESCAPED in sent_texts(play)


async def test_html_and_jinja_in_an_item_name_are_shown_as_typed(play: Playground,
                                                                 regos: Regos) -> None:
    item = regos.items(regos.orderable)[0]
    item.name = INJECTED
    alice = await start(play)
    await alice.click("🛍 Каталог")
    await alice.click("Все товары")
    label = next(b for b in alice.buttons() if b.startswith(INJECTED)), "labels are plain text"
    await alice.click(label[0])
    assert "{{ 7*7 }}" in (alice.last.content or "")
    assert ESCAPED in sent_texts(play)


async def test_texts_far_over_an_inputs_limit_are_refused_with_its_notice(play: Playground) -> None:
    alice = await start(play)
    await alice.click("🛍 Каталог")
    await alice.send(HUGE)
    toast_or_text = sent_texts(play)
    assert "Слишком длинный запрос" in toast_or_text
    assert "Каталог" in (alice.last.text or ""), "the catalog is still on view"


async def test_a_huge_message_with_markup_to_the_vin_desk_is_explained_and_opens_nothing(
        tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    async with open_desk(url) as desk:
        await desk.alice.send("/start")
        await desk.alice.send(HUGE)
        await desk.alice.send(INJECTED)
        assert desk.cards() == []
        sent = [str(c.params.get("text") or "") for c in desk.play.calls("sendMessage")]
        assert not any("<script>" in text or "49" in text for text in sent)
        assert desk.play.rejected_calls() == []
        await desk.alice.send(VIN)
        assert "принята" in (desk.alice.last.content or "")


async def test_a_customer_named_with_markup_is_shown_as_typed_on_the_managers_card(
        tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    async with open_desk(url) as desk:
        desk.alice.account.first_name = INJECTED
        await desk.alice.send(VIN)
        card = desk.cards()[-1]
        assert "{{ 7*7 }}" in (card.content or "")
        assert "49" not in (card.content or "").split("VIN")[0]
        assert desk.play.rejected_calls() == []
