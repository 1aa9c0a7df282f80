"""parse_mode=HTML as Telegram parses it: plain text plus entities, or a precise error."""

from __future__ import annotations

import pytest

from engine.playground.botapi.html import HtmlParseError, escape, parse_html, trim


def test_bold_and_italic_become_entities_over_the_plain_text() -> None:
    text, entities = parse_html("<b>Hi</b> <i>you</i>")
    assert text == "Hi you"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 3, "length": 3},
    ]


def test_known_entities_and_numeric_references_are_decoded() -> None:
    text, _ = parse_html("&lt;a&gt; &amp; &quot;q&quot; &#65;&#x42;")
    assert text == '<a> & "q" AB'


def test_offsets_are_counted_in_utf16_code_units() -> None:
    _, entities = parse_html("😀 <b>x</b>")
    assert entities == [{"type": "bold", "offset": 3, "length": 1}]


@pytest.mark.parametrize(
    ("html", "entity_type"),
    [
        ("<strong>x</strong>", "bold"),
        ("<em>x</em>", "italic"),
        ("<ins>x</ins>", "underline"),
        ("<u>x</u>", "underline"),
        ("<strike>x</strike>", "strikethrough"),
        ("<del>x</del>", "strikethrough"),
        ("<s>x</s>", "strikethrough"),
        ('<span class="tg-spoiler">x</span>', "spoiler"),
        ("<tg-spoiler>x</tg-spoiler>", "spoiler"),
        ("<code>x</code>", "code"),
        ("<pre>x</pre>", "pre"),
        ("<blockquote>x</blockquote>", "blockquote"),
        ("<blockquote expandable>x</blockquote>", "expandable_blockquote"),
    ],
)
def test_every_documented_tag_is_accepted(html: str, entity_type: str) -> None:
    _, entities = parse_html(html)
    assert [e["type"] for e in entities] == [entity_type]


def test_links_custom_emoji_and_user_mentions_keep_their_attributes() -> None:
    _, entities = parse_html(
        '<a href="https://example.org/?a=1&amp;b=2">l</a>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        '<a href="tg://user?id=42">u</a>'
    )
    assert entities[0] == {
        "type": "text_link",
        "offset": 0,
        "length": 1,
        "url": "https://example.org/?a=1&b=2",
    }
    assert entities[1]["custom_emoji_id"] == "5368324170671202286"
    assert entities[2]["type"] == "text_mention"
    assert entities[2]["user"]["id"] == 42


def test_pre_with_a_language_code_block_is_one_pre_entity() -> None:
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("tail <", "Unclosed start tag at byte offset 5"),
        ("Tom & Jerry", 'Character "&" at byte offset 4 starts no supported entity'),
        ("&nbsp;", 'Character "&" at byte offset 0'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_malformed_markup_is_rejected_with_telegrams_wording(html: str, message: str) -> None:
    with pytest.raises(HtmlParseError, match="^" + message.replace("(", r"\(")):
        parse_html(html)


def test_error_offsets_are_utf8_byte_offsets() -> None:
    with pytest.raises(HtmlParseError, match="byte offset 3"):
        parse_html("é <x>")


def test_a_bare_ampersand_can_be_allowed_as_telegram_itself_does() -> None:
    assert parse_html("Tom & Jerry", strict_ampersand=False)[0] == "Tom & Jerry"


def test_escape_makes_any_text_safe() -> None:
    raw = "a < b && c > d"
    assert parse_html(escape(raw)) == (raw, [])


def test_trim_strips_whitespace_and_shifts_entities() -> None:
    text, entities = trim("  <x>  ", [{"type": "bold", "offset": 2, "length": 5}])
    assert text == "<x>"
    assert entities == [{"type": "bold", "offset": 0, "length": 3}]
