"""Telegram's length limits, applied where everything leaves for Telegram: text over 4096
characters (a caption over 1024, a toast over 200) is shortened with an ellipsis, counted on the
visible text (tags and entities are not counted; an entity is one character), never cut inside a
tag or an entity, with the tags left open closed. Checked with the Bot API emulator's own parser
and limits (what Telegram would answer)."""

from __future__ import annotations

import re

import pytest
from aiogram.types import BufferedInputFile

from engine.playground.botapi import BotApiEmulator, EmulatorSession
from engine.playground.botapi.html import parse_html, utf16_len
from engine.playground.botapi.limits import check_caption, check_message_text
from engine.runtime.app import make_bot
from engine.runtime.fitting import CAPTION_LIMIT, ELLIPSIS, TEXT_LIMIT, fit_html, fit_plain, visible_length

TOKEN = "123456:TEST-TOKEN"
PNG_1x2 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x02rest"


def visible(html: str) -> str:
    return parse_html(html)[0].strip()


def test_tags_are_not_counted_and_an_entity_is_one_character() -> None:
    assert visible_length("<b>a&amp;b</b> <i>&lt;&#33;</i>") == len("a&b <!") == 6
    assert visible_length('<a href="https://example.com/a?b=1&amp;c=2">x</a>') == 1


def test_the_whitespace_telegram_trims_is_not_counted() -> None:
    html = "\n\n<b>" + "я" * TEXT_LIMIT + "</b>\n\n"
    assert visible_length(html) == TEXT_LIMIT
    assert fit_html(html, TEXT_LIMIT) == html, "it fits as it is: nothing is cut"


def test_text_that_fits_is_left_exactly_as_it_is() -> None:
    html = "<b>Сыр &lt;Российский&gt;</b>\n" + "x" * 4000
    assert fit_html(html, TEXT_LIMIT) is html


def test_long_text_is_cut_to_the_limit_with_an_ellipsis() -> None:
    html = "<b>Описание</b>\n" + "слово " * 2000
    fitted = fit_html(html, TEXT_LIMIT)
    formatted = check_message_text(fitted, "HTML", None)  # what Telegram would accept
    assert formatted.text.endswith("слово" + ELLIPSIS), "trailing spaces go before the ellipsis"
    assert TEXT_LIMIT - 6 <= len(formatted.text) <= TEXT_LIMIT
    assert formatted.text.startswith("Описание\nслово слово")
    assert formatted.entities[0] == {"type": "bold", "offset": 0, "length": len("Описание")}


def test_tags_left_open_are_closed_in_order() -> None:
    html = "<b>Жирный <i>курсив <u>" + "подчёркнутый " * 400 + "</u></i></b>"
    fitted = fit_html(html, CAPTION_LIMIT)
    assert fitted.endswith(ELLIPSIS + "</u></i></b>")
    text, entities = parse_html(fitted)
    assert [e["type"] for e in entities] == ["bold", "italic", "underline"]
    assert all(e["offset"] + e["length"] == len(text) for e in entities)


def test_a_cut_never_falls_inside_an_entity() -> None:
    for shift in range(6):
        html = "x" * shift + "&amp;&lt;&gt;&quot;&#1071;" * 1000
        fitted = fit_html(html, CAPTION_LIMIT)
        text = check_caption(fitted, "HTML", None)
        assert text is not None
        assert len(text.text) <= CAPTION_LIMIT
        body = fitted.removesuffix(ELLIPSIS)[shift:]
        assert re.fullmatch(r"(&amp;|&lt;|&gt;|&quot;|&#1071;)+", body), body[-12:]


def test_a_cut_never_falls_inside_a_tag() -> None:
    html = '<a href="https://shop.example/item?id=1&amp;ref=bot">ссылка</a> ' * 500
    fitted = fit_html(html, TEXT_LIMIT)
    text = check_message_text(fitted, "HTML", None)
    assert len(text.text) <= TEXT_LIMIT
    assert all(e["url"] == "https://shop.example/item?id=1&ref=bot" for e in text.entities)


def test_a_link_cut_in_its_text_keeps_its_address_and_is_closed() -> None:
    html = "Смотрите: " + '<a href="https://shop.example/">' + "а" * 5000 + "</a>"
    fitted = fit_html(html, TEXT_LIMIT)
    assert fitted.endswith(ELLIPSIS + "</a>")
    text = check_message_text(fitted, "HTML", None)
    assert text.entities[0]["type"] == "text_link"
    assert text.entities[0]["length"] == TEXT_LIMIT - 10


def test_code_blocks_with_a_language_are_closed() -> None:
    html = '<pre><code class="language-python">' + "print(1 &lt; 2)\n" * 500 + "</code></pre>"
    fitted = fit_html(html, CAPTION_LIMIT)
    assert fitted.endswith("</code></pre>")
    text = check_caption(fitted, "HTML", None)
    assert text is not None
    assert text.entities == [{"type": "pre", "offset": 0, "length": len(text.text),
                              "language": "python"}]


def test_a_caption_and_a_text_have_their_own_limits() -> None:
    html = "<i>" + "ю" * 5000 + "</i>"
    as_caption, as_text = fit_html(html, CAPTION_LIMIT), fit_html(html, TEXT_LIMIT)
    assert len(visible(as_caption)) == CAPTION_LIMIT
    assert len(visible(as_text)) == TEXT_LIMIT
    assert check_caption(as_caption, "HTML", None) is not None
    with pytest.raises(Exception, match="caption is too long"):
        check_caption(as_text, "HTML", None)


def test_characters_outside_the_basic_plane_count_twice_and_are_never_split() -> None:
    html = "😀" * 3000  # 6000 UTF-16 code units
    fitted = fit_html(html, TEXT_LIMIT)
    assert utf16_len(visible(fitted)) <= TEXT_LIMIT
    assert set(visible(fitted).removesuffix(ELLIPSIS)) == {"😀"}


def test_plain_text_is_cut_without_looking_for_tags() -> None:
    text = "<b> is not a tag &amp; " * 20  # 440 characters, every one of them visible
    assert fit_plain(text, 200) == text[:199] + ELLIPSIS
    assert fit_plain("  short  ", 5) == "  short  ", "the whitespace Telegram trims is not counted"


async def test_every_message_leaving_for_telegram_fits() -> None:
    """Sent through a real Bot (the engine's make_bot) to the emulator: texts, captions and
    edits are shortened on their way, so Telegram accepts them."""
    emu = BotApiEmulator()
    account = emu.add_bot(TOKEN, username="fit_bot")
    user = emu.add_user("Ann")
    chat = emu.private_chat(account, user)
    emu.send_text(account, chat, user, "/start")
    bot = make_bot(TOKEN, session=EmulatorSession(emu))
    try:
        long_html = "<b>Название</b>\n" + "описание &amp; состав " * 400
        sent = await bot.send_message(chat.id, long_html)
        assert len(sent.text or "") <= TEXT_LIMIT
        assert (sent.text or "").endswith(ELLIPSIS)
        edited = await bot.edit_message_text("Изменено " + long_html, chat_id=chat.id,
                                             message_id=sent.message_id)
        assert not isinstance(edited, bool)
        assert len(edited.text or "") <= TEXT_LIMIT
        plain = await bot.send_message(chat.id, "<" * 5000, parse_mode=None)
        assert plain.text == "<" * (TEXT_LIMIT - 1) + ELLIPSIS
        photo = await bot.send_photo(chat.id, BufferedInputFile(PNG_1x2, "p.png"), caption=long_html)
        assert photo.photo
        assert len(photo.caption or "") <= CAPTION_LIMIT
        recaptioned = await bot.edit_message_caption(chat_id=chat.id, message_id=photo.message_id,
                                                     caption="Изменено " + long_html)
        assert not isinstance(recaptioned, bool)
        assert len(recaptioned.caption or "") <= CAPTION_LIMIT
    finally:
        await bot.session.close()
    assert [c.method for c in emu.calls if not c.ok] == []

