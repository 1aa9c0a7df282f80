"""Delivered reports archived in S3-compatible storage (AWS S3, MinIO, Ceph, ...), through the outbox.

When a report reaches the customer, the delivery journal's transaction also writes an outbox row
``report.archive``; the relay then downloads the PDF from Telegram by its file id, stores it as
``{prefix}{ticket id}/{sha256}.pdf`` with the ticket id, the SHA-256 and the Telegram file id in the
object's metadata (and S3 verifies the upload against the SHA-256 checksum), and writes the key and the
checksum into the journal. An unreachable store only delays the archive (retried with backoff): the
customer has the report already, the ticket is DONE.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actions.tickets.store import OutboxItem, TicketStore

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

__all__ = ["ArchivedReport", "ChecksumMismatch", "Fetch", "ReportArchive", "report_key"]

Fetch = Callable[[str], Awaitable[bytes]]


def report_key(prefix: str, ticket_id: int, sha256: str) -> str:
    return f"{prefix}{ticket_id}/{sha256}.pdf"


@dataclass(frozen=True)
class ArchivedReport:
    key: str
    data: bytes
    sha256: str
    ticket_id: int


class ChecksumMismatch(Exception):
    """What the archive gave back is not what was stored."""


@dataclass
class ReportArchive:
    """The archive's bucket and prefix; ``fetch`` reads a report from Telegram by its file id."""

    client: S3Client
    bucket: str
    prefix: str
    store: TicketStore
    fetch: Fetch

    async def __call__(self, item: OutboxItem) -> None:
        """Archive the report of one outbox row (the relay's handler for ``s3`` rows)."""
        body: dict[str, Any] = json.loads(item.payload)
        ticket_id, delivery_id = int(body["ticket_id"]), int(body["delivery_id"])
        file_id = str(body["file_id"])
        data = await self.fetch(file_id)
        digest = hashlib.sha256(data)
        sha256 = digest.hexdigest()
        key = report_key(self.prefix, ticket_id, sha256)
        await self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType="application/pdf",
            ChecksumSHA256=base64.b64encode(digest.digest()).decode(),
            Metadata={"ticket-id": str(ticket_id), "sha256": sha256, "telegram-file-id": file_id},
        )
        await self.store.set_archived(delivery_id, key, sha256)

    async def read(self, key: str) -> ArchivedReport:
        """A report back from the archive (for the panel and the API), its checksum verified."""
        answer = await self.client.get_object(Bucket=self.bucket, Key=key)
        async with answer["Body"] as stream:
            data = await stream.read()
        metadata = answer.get("Metadata", {})
        sha256 = hashlib.sha256(data).hexdigest()
        if metadata.get("sha256") != sha256:
            raise ChecksumMismatch(f"{key}: stored sha256 {metadata.get('sha256')}, read {sha256}")
        return ArchivedReport(key, data, sha256, int(metadata.get("ticket-id", "0")))


def telegram_fetch(bot_of: Callable[[], Any], timeout: float = 60) -> Fetch:
    """Download a file by its Telegram file id with the bot (found when needed: it exists once the bot
    has started)."""

    async def fetch(file_id: str) -> bytes:
        buffer = io.BytesIO()
        await bot_of().download(file_id, destination=buffer, timeout=int(timeout))
        return buffer.getvalue()

    return fetch
