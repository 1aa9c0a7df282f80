"""Telegram's ``parse_mode=HTML``: turn marked-up text into plain text plus message entities.

Follows the rules of Telegram's own parser (tdlib ``parse_html``): only the documented tags are
accepted, every tag must be closed in order, ``<`` always opens a tag, and the error messages name
the UTF-8 byte offset of the problem. Entity offsets and lengths are in UTF-16 code units, as in
the Bot API. One deliberate difference: by default an ``&`` that starts none of the supported
entities is an error (Telegram keeps such an ``&`` as text); this catches unescaped dynamic text
early. Pass ``strict_ampersand=False`` for Telegram's lenient behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "tg-emoji", "blockquote", "tg-time"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_USER_LINK_RE = re.compile(r"tg://user\?id=(\d+)")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(slots=True)
class _Open:
    tag: str
    attrs: dict[str, str]
    offset: int
    byte_offset: int
    language: str | None = None
    children: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str, strict_ampersand: bool) -> None:
        self.text = text
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.out_len = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.out_len += utf16_len(chunk)

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "&":
                self.ampersand()
            elif char == "<":
                self.tag()
            else:
                self.emit(char)
                self.pos += 1
        if self.stack:
            tag = self.stack[-1].tag
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def ampersand(self) -> None:
        decoded = decode_entity(self.text, self.pos)
        if decoded is not None:
            char, end = decoded
            self.emit(char)
            self.pos = end
            return
        if self.strict_ampersand:
            raise HtmlParseError(
                f'Character "&" at byte offset {self.byte_offset(self.pos)} starts no supported '
                "entity; escape it as &amp;"
            )
        self.emit("&")
        self.pos += 1

    def tag(self) -> None:
        begin = self.pos
        self.pos += 1
        if self.pos < len(self.text) and self.text[self.pos] == "/":
            self.end_tag(begin)
        else:
            self.start_tag(begin)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _unclosed_start(self, begin: int) -> HtmlParseError:
        return HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")

    def start_tag(self, begin: int) -> None:
        text = self.text
        start = self.pos
        while self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] != ">":
            self.pos += 1
        if self.pos >= len(text):
            raise self._unclosed_start(begin)
        name = text[start : self.pos].lower()
        if name not in ALLOWED_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs = self.attributes(name, begin)
        self.pos += 1  # the ">"
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlParseError(
                f'Custom emoji identifier must be specified in the tag "tg-emoji" at byte offset '
                f"{self.byte_offset(begin)}"
            )
        if name == "tg-time" and not attrs.get("unix", "").lstrip("-").isdigit():
            raise HtmlParseError(
                f'Tag "tg-time" must have attribute "unix" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(name, attrs, self.out_len, self.byte_offset(begin)))

    def attributes(self, tag: str, begin: int) -> dict[str, str]:
        text = self.text
        attrs: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self.pos >= len(text):
                raise self._unclosed_start(begin)
            if text[self.pos] == ">":
                return attrs
            start = self.pos
            while self.pos < len(text) and text[self.pos] not in "=> \t\r\n/\"'":
                self.pos += 1
            name = text[start : self.pos].lower()
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            self._skip_spaces()
            if self.pos >= len(text):
                raise self._unclosed_start(begin)
            if text[self.pos] != "=":
                attrs[name] = ""
                continue
            self.pos += 1
            self._skip_spaces()
            attrs[name] = self.attribute_value(begin)

    def attribute_value(self, begin: int) -> str:
        text = self.text
        if self.pos >= len(text):
            raise self._unclosed_start(begin)
        quote = text[self.pos]
        if quote in "\"'":
            end = text.find(quote, self.pos + 1)
            if end < 0:
                raise HtmlParseError(
                    f"Unclosed end of attribute value at byte offset {self.byte_offset(begin)}"
                )
            raw = text[self.pos + 1 : end]
            self.pos = end + 1
        else:
            start = self.pos
            while self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] != ">":
                self.pos += 1
            raw = text[start : self.pos]
        return unescape(raw)

    def end_tag(self, begin: int) -> None:
        text = self.text
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1  # the "/"
        start = self.pos
        while self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] != ">":
            self.pos += 1
        name = text[start : self.pos].lower()
        self._skip_spaces()
        if self.pos >= len(text) or text[self.pos] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1
        opened = self.stack.pop()
        if name != opened.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self.close(opened)

    def close(self, opened: _Open) -> None:
        length = self.out_len - opened.offset
        css_class = opened.attrs.get("class", "")
        parent = self.stack[-1] if self.stack else None
        if (
            opened.tag == "code"
            and parent is not None
            and parent.tag == "pre"
            and css_class.startswith("language-")
            and parent.offset == opened.offset
        ):
            parent.language = css_class.removeprefix("language-")
            return
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": opened.offset, "length": length}
        if opened.tag in _SIMPLE_TAGS:
            entity["type"] = _SIMPLE_TAGS[opened.tag]
            if opened.tag == "pre" and opened.language:
                entity["language"] = opened.language
        elif opened.tag == "span":
            entity["type"] = "spoiler"
        elif opened.tag == "a":
            href = opened.attrs.get("href", "")
            if not href:
                return
            user = _USER_LINK_RE.fullmatch(href)
            if user:
                entity["type"] = "text_mention"
                entity["user"] = {"id": int(user.group(1)), "is_bot": False, "first_name": ""}
            else:
                entity["type"] = "text_link"
                entity["url"] = href
        elif opened.tag == "tg-emoji":
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = opened.attrs["emoji-id"]
        elif opened.tag == "tg-time":
            entity["type"] = "date_time"
            entity["unix_time"] = int(opened.attrs["unix"])
            if opened.attrs.get("format"):
                entity["date_time_format"] = opened.attrs["format"]
        else:  # blockquote
            expandable = "expandable" in opened.attrs
            entity["type"] = "expandable_blockquote" if expandable else "blockquote"
        self.entities.append({"type": entity.pop("type"), **entity})


def decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``pos`` (which holds ``&``): (character, end) or None."""
    match = _ENTITY_RE.match(text, pos)
    if match is None:
        return None
    named, dec, hexa = match.groups()
    if named:
        return _NAMED_ENTITIES[named], match.end()
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def unescape(text: str) -> str:
    """Decode the supported entities in an attribute value, keeping anything else verbatim."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        decoded = decode_entity(text, pos) if text[pos] == "&" else None
        if decoded is None:
            out.append(text[pos])
            pos += 1
        else:
            out.append(decoded[0])
            pos = decoded[1]
    return "".join(out)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and Bot API ``MessageEntity`` dicts, or :class:`HtmlParseError`."""
    return _Parser(text, strict_ampersand).parse()


def escape(text: str) -> str:
    """Escape text for ``parse_mode=HTML``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading and trailing whitespace as Telegram does, clipping entities to the result."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
