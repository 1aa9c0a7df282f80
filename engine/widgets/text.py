"""Text and media widgets that render the scenario's templates and labels in the user's locale."""

from __future__ import annotations

import hashlib
from typing import Any

from aiogram.enums import ContentType
from aiogram_dialog import DialogManager
from aiogram_dialog.api.entities import MediaAttachment
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.media import Media
from aiogram_dialog.widgets.text import Text

from engine.compile.executors import flow_of
from engine.errors import TemplateError
from engine.scenario.expressions import Evaluator

__all__ = [
    "BYTES_SCHEME",
    "VIEW_KEY",
    "CounterLabel",
    "ItemLabel",
    "LabelText",
    "TemplateMedia",
    "TemplateText",
    "predicate",
    "view_of",
]

BYTES_SCHEME = "engine-bytes:"


def predicate(condition: Evaluator | None) -> WhenCondition:
    """A ``when:`` expression as an aiogram-dialog predicate over the window's data."""
    if condition is None:
        return None

    def check(data: dict[str, Any], widget: Any, manager: DialogManager) -> bool:
        return bool(condition(data))

    return check


#: where a route's ``text:`` is kept for the window it leads to: ``{"window": id, "text": name}``
#: in the dialog data (set or emptied by every move inside the dialog), else in the start data
VIEW_KEY = "_view"


def view_of(manager: DialogManager) -> str | None:
    """The template a route gave the current window instead of its own text (None: its own)."""
    context = manager.current_context()
    view = context.dialog_data.get(VIEW_KEY)
    if view is None and isinstance(context.start_data, dict):
        view = context.start_data.get(VIEW_KEY)
    window = (context.state.state or "").rpartition(":")[2]
    if isinstance(view, dict) and view.get("window") == window and view.get("text"):
        return str(view["text"])
    return None


class TemplateText(Text):
    """The window's message: ``templates/<scenario>/<locale>/<name>.html``, or the template
    the route that led here named (:func:`view_of`)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return flow_of(manager).render(manager, view_of(manager) or self.name, data)

    def __repr__(self) -> str:
        return f"<TemplateText {self.name}>"


class LabelText(Text):
    """A label from ``labels.yaml`` (button texts are plain text: not HTML-escaped)."""

    def __init__(self, key: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.key = key

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return flow_of(manager).label(manager, self.key, data)

    def __repr__(self) -> str:
        return f"<LabelText {self.key}>"


class ItemLabel(Text):
    """A list item's label: the window's data plus ``item``."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        scope = {**data.get("data", {}), "item": data.get("item")}
        return flow_of(manager).label(manager, self.key, scope)


class CounterLabel(Text):
    """A counter's value label: the window's data plus ``value`` (``{{ value|int }} {{ item.unit }}``)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        scope = {**data.get("data", {}), "value": data.get("value")}
        return flow_of(manager).label(manager, self.key, scope)


class TemplateMedia(Media):
    """A photo from a URL template, or from image bytes in the window's data."""

    def __init__(self, url: Evaluator | None, data_key: str | None,
                 when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.url = url
        self.data_key = data_key

    async def _render_media(
        self, data: dict[str, Any], manager: DialogManager
    ) -> MediaAttachment | None:
        if self.url is not None:
            url = str(self.url(data) or "").strip()
            if not url:
                return None
            if "://" not in url:  # a Telegram file id
                from aiogram_dialog.api.entities import MediaId

                return MediaAttachment(ContentType.PHOTO, file_id=MediaId(url))
            return MediaAttachment(ContentType.PHOTO, url=url)
        payload = data.get(self.data_key or "")
        if not payload:
            return None
        if not isinstance(payload, bytes | bytearray):
            raise TemplateError(f"media data {self.data_key!r} must be bytes")
        digest = hashlib.sha1(bytes(payload)).hexdigest()
        attachment = MediaAttachment(ContentType.PHOTO, url=BYTES_SCHEME + digest)
        attachment.payload = bytes(payload)  # type: ignore[attr-defined]
        return attachment
