"""Files the emulated server stores: ids, paths for downloads, and image dimensions."""

from __future__ import annotations

import mimetypes
import struct

from .records import StoredFile

_KIND_DIRS = {"photo": "photos", "document": "documents"}
_DEFAULT_PHOTO_SIZE = (320, 320)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image; a fixed size for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        found = _jpeg_size(data)
        if found is not None:
            return found
    return _DEFAULT_PHOTO_SIZE


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None


class FileStore:
    """All files of one emulated server, by ``file_id`` and by download path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        """Store uploaded bytes (or only a URL) and give them a new file_id."""
        self._counter += 1
        number = self._counter
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        if kind == "photo":
            file_name = None
            mime_type = None
        suffix = ".jpg" if kind == "photo" else (_suffix(file_name) or "")
        path = f"{_KIND_DIRS.get(kind, kind + 's')}/file_{number}{suffix}"
        width, height = image_size(data) if kind == "photo" and data else (0, 0)
        if kind == "photo" and not data:
            width, height = _DEFAULT_PHOTO_SIZE
        stored = StoredFile(
            file_id=f"{kind[:3].upper()}{number:06d}-emu",
            file_unique_id=f"u{number:06d}",
            kind=kind,
            file_path=path,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            url=url,
            width=width,
            height=height,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)

    def at_path(self, path: str) -> StoredFile | None:
        return self.by_path.get(path)


def _suffix(file_name: str | None) -> str | None:
    if not file_name or "." not in file_name:
        return None
    suffix = "." + file_name.rsplit(".", 1)[1]
    return suffix if suffix[1:].isalnum() else None
