"""A file part of a multipart request (what the spec calls ``InputFile``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: the multipart field name, the client's file name and the bytes."""

    field: str
    filename: str
    data: bytes = dataclasses.field(repr=False)
    content_type: str = "application/octet-stream"

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def describe(self) -> dict[str, object]:
        """A small JSON-able summary used in recorded calls (never the bytes)."""
        return {"upload": self.field, "filename": self.filename, "size": self.size}
