"""The panel's pages: Jinja templates in ``templates/vin_report/panel/`` (autoescaped), their texts per
locale in ``panel/<locale>.yaml``, dates in the desk's time zone, and the SLA chart as inline SVG."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

__all__ = ["LOCALES", "Pages", "breaches_svg", "card_link", "medians_svg"]

FOLDER = Path(__file__).resolve().parents[3] / "templates" / "vin_report" / "panel"
LOCALES = ("ru", "uz", "en")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
}


@functools.lru_cache(maxsize=1)
def _texts() -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        loaded = yaml.safe_load((FOLDER / f"{locale}.yaml").read_text(encoding="utf-8"))
        texts[locale] = {str(k): str(v) for k, v in (loaded or {}).items()}
    return texts


class Pages:
    def __init__(self, folder: Path = FOLDER) -> None:
        self.env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    @staticmethod
    def texts(request: web.Request) -> dict[str, str]:
        return {**_texts()[LOCALES[0]], **_texts()[locale_of(request)]}

    def text(self, request: web.Request, key: str) -> str:
        return self.texts(request).get(key, key)

    def render(self, request: web.Request, template: str, tz: tzinfo, status: int = 200,
               **data: Any) -> web.Response:
        locale = locale_of(request)
        texts = self.texts(request)

        def when(moment: datetime | None) -> str:
            return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment is not None else "—"

        html = self.env.get_template(template).render(t=texts, locale=locale, locales=LOCALES,
                                                   when=when, **data)
        return web.Response(text=html, content_type="text/html", status=status, headers=HEADERS)


def locale_of(request: web.Request) -> str:
    chosen = request.query.get("lang") or request.cookies.get("tgflow_panel_lang", "")
    if chosen in LOCALES:
        return chosen
    for part in request.headers.get("Accept-Language", "").split(","):
        language = part.split(";")[0].strip().lower()[:2]
        if language in LOCALES:
            return language
    return LOCALES[0]


def card_link(chat_id: int | None, message_id: int | None) -> str | None:
    """Where a manager opens the ticket's card in Telegram: a supergroup's message link
    (``-100`` + the internal id); None for a card not posted or in a chat without such links."""
    if chat_id is None or message_id is None or not str(chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(chat_id)[4:]}/{message_id}"


def breaches_svg(days: Sequence[tuple[date, int]], title: str) -> str:
    """A bar per day (its count above it); built from numbers and dates only, so nothing needs
    escaping but the title, which is escaped."""
    width, height, top = 24, 120, 16
    most = max((n for _, n in days), default=0) or 1
    bars = []
    for i, (day, count) in enumerate(days):
        h = round(height * count / most)
        x = i * (width + 4)
        bars.append(f'<rect x="{x}" y="{top + height - h}" width="{width}" height="{h}" class="bar">'
                    f'<title>{day.isoformat()}: {count}</title></rect>'
                    f'<text x="{x + width // 2}" y="{top + height - h - 3}" '
                    f'text-anchor="middle">{count}</text>'
                    f'<text x="{x + width // 2}" y="{top + height + 14}" '
                    f'text-anchor="middle">{day.day}</text>')
    total_width = max(1, len(days)) * (width + 4)
    title = title.replace("&", "&amp;").replace("<", "&lt;")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
            f'viewBox="0 0 {total_width} {top + height + 20}" width="{total_width}" '
            f'height="{top + height + 20}"><title>{title}</title>{"".join(bars)}</svg>')


def medians_svg(figures: Sequence[Mapping[str, Any]], take_label: str, done_label: str) -> str:
    """Two bars per manager on one scale: the median minutes to take a ticket and to finish it
    (the statistics' ``median_take`` / ``median_done``; none: no bar, a dash). Names and labels are
    escaped: a name is whatever Telegram says."""
    label_width, bar_width, bar, gap, legend = 150, 300, 10, 8, 20
    most = max((f[k] or 0 for f in figures for k in ("median_take", "median_done")), default=0) or 1
    parts = [f'<rect x="0" y="2" width="10" height="10" class="take"/>'
             f'<text x="14" y="11">{escape(take_label)}</text>'
             f'<rect x="{label_width + 80}" y="2" width="10" height="10" class="finish"/>'
             f'<text x="{label_width + 94}" y="11">{escape(done_label)}</text>']
    for i, figure in enumerate(figures):
        y = legend + i * (2 * bar + gap)
        parts.append(f'<text x="0" y="{y + bar + 3}">{escape(str(figure["name"])[:24])}</text>')
        for j, (key, kind, label) in enumerate((("median_take", "take", take_label),
                                                ("median_done", "finish", done_label))):
            value = figure[key]
            shown = "—" if value is None else str(value)
            width = round(bar_width * value / most) if value else 0
            parts.append(f'<rect x="{label_width}" y="{y + j * bar}" width="{width}" height="{bar - 1}" '
                         f'class="{kind}"><title>{escape(label)}: {shown}</title></rect>'
                         f'<text x="{label_width + width + 4}" y="{y + j * bar + bar - 1}">{shown}</text>')
    width, height = label_width + bar_width + 40, legend + len(figures) * (2 * bar + gap)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} '
            f'{height}" width="{width}" height="{height}">{"".join(parts)}</svg>')
