"""Telegram's length limits, applied on the one path every call takes to Telegram (a request
middleware of the bot's session).

A message text may hold 4096 characters, a caption 1024 and a button's toast 200, counted on the
text after HTML parsing (tags are not counted, ``&amp;`` is one character) and after Telegram
trims the whitespace around it. The linter cannot know what REGOS or a user will put in a
window, so whatever exceeds a limit is shortened here: cut between two visible characters (never
inside a tag or an entity), with an ellipsis, and the tags left open closed. Characters are
counted in UTF-16 code units (an emoji counts twice), which never exceeds what Telegram allows
whether it counts code units or code points.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageText,
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

__all__ = ["CALLBACK_ANSWER_LIMIT", "CAPTION_LIMIT", "ELLIPSIS", "TEXT_LIMIT", "FitToLimits",
           "fit", "fit_html", "fit_plain", "visible_length"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
ELLIPSIS = "…"

#: the entities Telegram decodes; any other ``&`` is an ordinary character
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,8}|#[xX][0-9a-fA-F]{1,8});")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w-]*)")
_CHARS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CAPTIONED = (SendPhoto, SendDocument, SendVideo, SendAnimation, SendAudio, SendVoice,
              EditMessageCaption)


def _units(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decode(entity: str) -> str:
    name = entity[1:-1]
    if name.startswith("#"):
        try:
            code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            return chr(code)
        except ValueError:  # beyond Unicode: Telegram refuses it, count it as one character
            return "?"
    return _CHARS[name]


def _tag_end(html: str, start: int) -> int:
    """The index after the ``>`` closing the tag opened at ``start`` (quoted values may hold
    ``>``); the end of the text when it is never closed."""
    pos, quote = start + 1, ""
    while pos < len(html):
        char = html[pos]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ">":
            return pos + 1
        pos += 1
    return len(html)


def _tokens(html: str) -> Iterator[tuple[str, str]]:
    """(source, visible text) pairs: a tag shows nothing, an entity or a character shows one."""
    pos = 0
    while pos < len(html):
        char = html[pos]
        if char == "<":
            end = _tag_end(html, pos)
            yield html[pos:end], ""
            pos = end
            continue
        if char == "&":
            entity = _ENTITY.match(html, pos)
            if entity is not None:
                yield entity.group(), _decode(entity.group())
                pos = entity.end()
                continue
        yield char, char
        pos += 1


def visible_length(html: str) -> int:
    """What Telegram counts of an HTML text: its visible characters, trimmed, in UTF-16 units."""
    return _units("".join(shown for _, shown in _tokens(html)).strip())


def fit_html(html: str, limit: int) -> str:
    """``html`` itself when it fits in ``limit``; otherwise its beginning, an ellipsis and the
    end tags of whatever was left open."""
    if _units(html) <= limit or visible_length(html) <= limit:  # tags and entities only shrink
        return html
    budget = limit - _units(ELLIPSIS)
    kept: list[str] = []
    opened: list[str] = []
    used, started = 0, False
    for source, shown in _tokens(html):
        if not shown:
            kept.append(source)
            _follow(opened, source)
            continue
        leading = not started and shown.isspace()
        cost = 0 if leading else _units(shown)
        if used + cost > budget:
            break
        used += cost
        started = started or not leading
        kept.append(source)
    while kept and kept[-1].isspace():  # "word …" reads as "word…"
        kept.pop()
    return "".join(kept) + ELLIPSIS + "".join(f"</{name}>" for name in reversed(opened))


def _follow(opened: list[str], tag: str) -> None:
    """Keep the stack of open tags up to date with one start or end tag."""
    match = _TAG_NAME.match(tag)
    if match is None:
        return
    name = match.group(1).lower()
    if not tag.startswith("</"):
        opened.append(name)
    elif name in opened:
        del opened[len(opened) - 1 - opened[::-1].index(name):]


def fit_plain(text: str, limit: int) -> str:
    """Plain text (no parse mode) shortened the same way."""
    if _units(text.strip()) <= limit:
        return text
    budget = limit - _units(ELLIPSIS)
    body = text.lstrip()
    used, end = 0, 0
    for end, char in enumerate(body):  # noqa: B007 - where the budget runs out
        used += _units(char)
        if used > budget:
            break
    return body[:end].rstrip() + ELLIPSIS


def fit(text: str, limit: int, parse_mode: str | None) -> str:
    """``text`` shortened to ``limit`` for its parse mode (Markdown is left alone: the engine
    does not write it, and a cut could break its escapes)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return fit_html(text, limit)
    if not mode:
        return fit_plain(text, limit)
    return text


class FitToLimits(BaseRequestMiddleware):
    """Shortens the texts, captions and toasts of outgoing calls to Telegram's limits."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        return await make_request(bot, fit_method(method, bot))


def fit_method(method: TelegramMethod[TelegramType], bot: Bot) -> TelegramMethod[TelegramType]:
    """The call with its text or caption shortened where it is over the limit (a copy; explicit
    entities are left alone, their offsets would no longer match)."""
    return cast("TelegramMethod[TelegramType]", _fit_method(method, bot))


def _fit_method(method: Any, bot: Bot) -> Any:
    if isinstance(method, SendMessage | EditMessageText):
        if method.entities:
            return method
        return _fitted(method, "text", TEXT_LIMIT, _parse_mode(method.parse_mode, bot))
    if isinstance(method, AnswerCallbackQuery):
        return _fitted(method, "text", CALLBACK_ANSWER_LIMIT, None)
    if isinstance(method, _CAPTIONED):
        if method.caption_entities:
            return method
        return _fitted(method, "caption", CAPTION_LIMIT, _parse_mode(method.parse_mode, bot))
    if isinstance(method, EditMessageMedia):
        media = _fitted_media(method.media, bot)
        return method if media is method.media else method.model_copy(update={"media": media})
    if isinstance(method, SendMediaGroup):
        group = [_fitted_media(item, bot) for item in method.media]
        if all(new is old for new, old in zip(group, method.media, strict=True)):
            return method
        return method.model_copy(update={"media": group})
    return method


def _parse_mode(value: Any, bot: Bot) -> str | None:
    if isinstance(value, Default):
        value = bot.default[value.name]
    return value if isinstance(value, str) else None


def _fitted(obj: Any, field: str, limit: int, parse_mode: str | None) -> Any:
    text = getattr(obj, field, None)
    if not isinstance(text, str):
        return obj
    fitted = fit(text, limit, parse_mode)
    return obj if fitted is text else obj.model_copy(update={field: fitted})


def _fitted_media(media: Any, bot: Bot) -> Any:
    if getattr(media, "caption_entities", None):
        return media
    return _fitted(media, "caption", CAPTION_LIMIT, _parse_mode(getattr(media, "parse_mode", None),
                                                                bot))
