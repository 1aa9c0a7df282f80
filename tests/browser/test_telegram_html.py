"""The page draws bot text as Telegram does, and never as markup: every node comes from a whitelist.

render.js is loaded into a blank Chromium page on its own (it needs no server)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import STATIC


def draw(page: Page, text: str, entities: list[dict[str, Any]]) -> str:
    page.set_content("<div id=out></div>")
    page.add_script_tag(path=str(STATIC / "render.js"))
    result: str = page.evaluate(
        "([text, entities]) => { const out = document.getElementById('out');"
        " out.appendChild(formatted(text, entities)); return out.innerHTML; }", [text, entities])
    return result


def test_entities_become_telegram_tags_nested_as_sent(page: Page) -> None:
    text = "Order №7 total 12 000 — code A1"
    entities = [{"type": "bold", "offset": 0, "length": 8},
                {"type": "italic", "offset": 6, "length": 2},
                {"type": "code", "offset": 29, "length": 2}]
    assert draw(page, text, entities) == "<b>Order <i>№7</i></b> total 12 000 — code <code>A1</code>"


def test_markup_in_bot_text_stays_text(page: Page) -> None:
    text = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'
    html = draw(page, text, [{"type": "bold", "offset": 0, "length": 10}])
    assert "<img" not in html
    assert "<script" not in html
    assert html.startswith("<b>&lt;img src=")
    assert page.evaluate("window.pwned") is None


def test_links_keep_only_safe_schemes_and_spoilers_hide_until_clicked(page: Page) -> None:
    text = "site evil secret"
    entities = [{"type": "text_link", "offset": 0, "length": 4, "url": "https://example.org/"},
                {"type": "text_link", "offset": 5, "length": 4, "url": "javascript:alert(1)"},
                {"type": "spoiler", "offset": 10, "length": 6}]
    html = draw(page, text, entities)
    assert '<a href="https://example.org/" target="_blank" rel="noopener noreferrer">site</a>' in html
    assert "javascript" not in html
    page.click(".spoiler")
    assert page.get_attribute(".spoiler", "class") == "spoiler revealed"


def test_offsets_count_utf16_units_like_the_bot_api(page: Page) -> None:
    text = "🍎 Apple"
    assert draw(page, text, [{"type": "bold", "offset": 3, "length": 5}]) == "🍎 <b>Apple</b>"


def test_telegram_html_is_copied_through_the_whitelist(page: Page) -> None:
    page.set_content("<div id=out></div>")
    page.add_script_tag(path=str(STATIC / "render.js"))
    html = page.evaluate(
        "() => { const out = document.getElementById('out');"
        " out.appendChild(sanitizedHtml('<b>ok</b><img src=x onerror=\"window.pwned=1\">"
        "<a href=\"javascript:x\">l</a><div>t</div>')); return out.innerHTML; }")
    assert html == "<b>ok</b><a>l</a>t"
    assert page.evaluate("window.pwned") is None
