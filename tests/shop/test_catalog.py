"""The catalog: categories, search, server-side paging, item cards with photos, escaping."""

from __future__ import annotations

from engine.testing import Playground
from tests.shop.conftest import Regos, open_item, start


async def test_the_main_menu_offers_the_shop_sections(play: Playground) -> None:
    alice = await start(play)
    assert "Здравствуйте, Alice!" in alice.last.text
    assert alice.buttons() == ["🛍 Каталог", "🛒 Корзина", "✅ Оформить заказ", "💳 Карты",
                               "📦 Мои заказы"]


async def test_all_items_are_paged_by_regos_with_page_x_of_y(play: Playground, regos: Regos) -> None:
    alice = await start(play)
    await alice.click("🛍 Каталог")
    await alice.click("Все товары")
    listed = regos.items(lambda i: regos.stock(i) > 0)  # SHOW_ZERO_QUANTITY is false
    pages = -(-len(listed) // 6)
    assert f"Найдено: {len(listed)}." in alice.last.text
    assert f"1 / {pages}" in alice.buttons()
    first_page = [b for b in alice.buttons() if " · " in b]
    assert len(first_page) == 6
    await alice.click("›")
    assert f"2 / {pages}" in alice.buttons()
    second_page = [b for b in alice.buttons() if " · " in b]
    assert second_page
    assert not set(second_page) & set(first_page)
    offsets = [p.get("offset") for p in regos.emu.calls_of("Item/GetExt")]
    assert offsets[-2:] == [0, 6], "each page is one GetExt call with its own offset"
    assert all(p.get("zero_quantity") is False for p in regos.emu.calls_of("Item/GetExt"))


async def test_a_category_lists_its_items_and_sub_categories_from_regos(play: Playground,
                                                                          regos: Regos) -> None:
    shop = regos.emu.shop
    parent = next(g for g in shop.groups.values()
                  if any(c.parent_id == g.id for c in shop.groups.values()))
    inside = shop.descendants(parent.id)
    alice = await start(play)
    await alice.click("🛍 Каталог")
    await alice.click(parent.name)
    assert parent.name in alice.last.text
    expected = regos.items(lambda i: i.group_id in inside and regos.stock(i) > 0)
    assert f"Найдено: {len(expected)}." in alice.last.text
    assert regos.emu.calls_of("Item/GetExt")[-1]["group_ids"] == [parent.id]


async def test_a_search_finds_items_and_forgets_the_category(play: Playground, regos: Regos) -> None:
    item = regos.items(regos.orderable)[0]
    alice = await start(play)
    await open_item(alice, item)
    assert item.name.split()[0] in (alice.last.text or alice.last.caption or "")
    search = [p for p in regos.emu.calls_of("Item/GetExt") if p.get("search")][-1]
    assert "group_ids" not in search or not search["group_ids"]


async def test_nothing_found_says_so(play: Playground) -> None:
    alice = await start(play)
    await alice.click("🛍 Каталог")
    await alice.send("несуществующийтовар")
    assert "Ничего не нашлось" in alice.last.text


async def test_an_item_card_shows_its_photo_price_and_stock(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and i.has_image)[0]
    alice = await start(play)
    await open_item(alice, item)
    card = alice.last
    assert card.photo is not None, "the item's picture is shown"
    sent = [c for c in play.calls() if c.method in ("sendPhoto", "editMessageMedia")][-1]
    assert f"/images/{item.id}.png" in str(sent.params)
    caption = card.caption or ""
    assert "Цена:" in caption
    assert "В наличии:" in caption
    assert "➕ В корзину" in alice.buttons()
    assert play.rejected_calls() == []


async def test_an_item_without_a_picture_gets_a_text_card(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and not i.has_image)[0]
    alice = await start(play)
    await open_item(alice, item)
    assert alice.last.photo is None
    assert "Цена:" in (alice.last.text or "")


async def test_names_with_html_characters_are_escaped(play: Playground, regos: Regos) -> None:
    item = regos.items(lambda i: "<" in i.name or "&" in i.name)[0]
    alice = await start(play)
    await open_item(alice, item)
    sent = [c for c in play.calls() if c.method in ("sendPhoto", "editMessageMedia",
                                                      "editMessageText", "sendMessage")][-1]
    assert "&lt;" in str(sent.params) or "&amp;" in str(sent.params)
    assert play.rejected_calls() == []


async def test_catalog_pages_are_cached_and_identical_requests_coalesced(play: Playground,
                                                                          regos: Regos) -> None:
    import asyncio

    alice, bob = await start(play, "Alice"), await start(play, "Bob")
    for user in (alice, bob):
        await user.click("🛍 Каталог")
    before = len(regos.emu.calls_of("Item/GetExt"))
    await asyncio.gather(alice.click("Все товары"), bob.click("Все товары"))
    assert len(regos.emu.calls_of("Item/GetExt")) == before + 1


async def test_regos_down_shows_a_message_not_a_crash(play: Playground, regos: Regos) -> None:
    alice = await start(play)
    await alice.click("🛍 Каталог")
    regos.emu.faults.fail_next("Item/GetExt", "http500", times=5)
    await alice.click("Все товары")
    assert "Не удаётся связаться с магазином" in alice.last.text
    assert "🏠 Меню" in alice.buttons()


async def test_a_rate_limited_read_is_retried_transparently(play: Playground, regos: Regos) -> None:
    alice = await start(play)
    await alice.click("🛍 Каталог")
    regos.emu.faults.fail_next("Item/GetExt", "rate_limit")
    await alice.click("Все товары")
    assert "Найдено:" in alice.last.text


async def test_a_picture_telegram_cannot_fetch_falls_back_to_a_text_card(play: Playground,
                                                                         regos: Regos) -> None:
    item = regos.items(lambda i: regos.orderable(i) and i.has_image)[0]
    alice = await start(play)
    play.emulator.fail_next("editMessageMedia", 400, "Bad Request: failed to get HTTP URL content")
    await open_item(alice, item)
    assert alice.last.photo is None
    assert "Цена:" in (alice.last.text or "")
    assert "➕ В корзину" in alice.buttons()


async def test_english_and_uzbek_customers_get_their_language(play: Playground) -> None:
    ann = play.user("Ann", language_code="en")
    await ann.send("/start")
    aziz = play.user("Aziz", language_code="uz")
    await aziz.send("/start")
    assert ann.buttons()[0] == "🛍 Catalog"
    assert aziz.buttons()[0] == "🛍 Katalog"
