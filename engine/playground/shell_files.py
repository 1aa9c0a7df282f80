"""The photos and documents the bot sends, saved where the person at the shell can open them.

The shell prints ``[photo: /tmp/tgflow-shell-x1y2/photo-1.png]``: a real file. Uploaded bytes
are written as they are; a photo or document the bot sent by URL is fetched the way Telegram
would fetch it (up to 20 MB, 10 s), and when that fails the line says why instead of naming a
file. Each file is saved once, however often its message is shown.
"""

from __future__ import annotations

import asyncio
import posixpath
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from engine.playground.botapi import StoredFile

__all__ = ["SavedFiles"]

URL_LIMIT = 20 * 1024 * 1024  # what Telegram fetches by URL for documents (photos: 5 MB)
URL_TIMEOUT = 10
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]+")
_IMAGE_SUFFIXES = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8", ".jpg"), (b"GIF8", ".gif"))


def _photo_suffix(data: bytes, url: str | None) -> str:
    for magic, suffix in _IMAGE_SUFFIXES:
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    guessed = posixpath.splitext(urlsplit(url or "").path)[1].lower()
    return guessed if re.fullmatch(r"\.[a-z0-9]{1,5}", guessed) else ".jpg"


def safe_name(name: str | None, fallback: str) -> str:
    """A bare file name: no folders (``../../etc/x`` is ``x``), no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:120] or fallback


async def _fetch(url: str) -> bytes:
    timeout = aiohttp.ClientTimeout(total=URL_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        response.raise_for_status()
        data = await response.content.read(URL_LIMIT + 1)
    if len(data) > URL_LIMIT:
        raise ValueError("over 20 MB")
    return data


class SavedFiles:
    """One folder per shell session; file_unique_id -> what the shell prints for the file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._shown: dict[str, str] = {}
        self._count = 0

    @classmethod
    def open(cls, folder: str | Path | None) -> SavedFiles:
        """``folder`` (created when missing), or a fresh temporary one."""
        if folder is None:
            return cls(Path(tempfile.mkdtemp(prefix="tgflow-shell-")))
        path = Path(folder).expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    def shown(self, stored: StoredFile) -> str | None:
        """The saved path (or why the file is not saved), once :meth:`save` has run."""
        return self._shown.get(stored.file_unique_id)

    async def save(self, stored: StoredFile) -> str:
        known = self._shown.get(stored.file_unique_id)
        if known is not None:
            return known
        try:
            data = stored.data if stored.data is not None else await self._download(stored)
            path = self._path(stored, data)
            await asyncio.to_thread(path.write_bytes, data)
            shown = str(path)
        except (OSError, ValueError, aiohttp.ClientError) as exc:
            reason = str(exc) or type(exc).__name__
            shown = f"{stored.url or stored.file_name or stored.file_path} (not saved: {reason})"
        self._shown[stored.file_unique_id] = shown
        return shown

    @staticmethod
    async def _download(stored: StoredFile) -> bytes:
        if not stored.url:
            raise ValueError("the emulator has no content for it")
        return await _fetch(stored.url)

    def _path(self, stored: StoredFile, data: bytes) -> Path:
        self._count += 1
        if stored.kind == "photo":
            return self.folder / f"photo-{self._count}{_photo_suffix(data, stored.url)}"
        name = safe_name(stored.file_name, posixpath.basename(stored.file_path))
        return self.folder / f"{self._count}-{name}"
