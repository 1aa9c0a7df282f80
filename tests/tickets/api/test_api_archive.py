"""The API serves a delivered report from the S3 archive (moto's server on 127.0.0.1) once it is there,
even when Telegram no longer gives the file, and never serves an archived copy whose checksum is wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from actions.tickets.api.keys import hash_key

from ..desk_kit import PDF, VIN, open_desk
from ..s3_server import CREDENTIALS, moto_server, s3_client
from ..test_desk_integrations import drain, service

KEY = "vdk_archive-test-key-0123456789abcdef012345"
BUCKET = "vin-archive"


async def test_the_report_comes_from_the_archive_and_a_damaged_copy_is_refused(tmp_path: Path) -> None:
    with moto_server() as endpoint:
        async with s3_client(endpoint) as s3:
            await s3.create_bucket(Bucket=BUCKET)
            env = {"REPORTS_S3_BUCKET": BUCKET, "REPORTS_S3_PREFIX": "desk/",
                   "REPORTS_S3_ENDPOINT_URL": endpoint, **CREDENTIALS,
                   "API_KEYS": f"mobile:{hash_key(KEY)}"}
            async with open_desk(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}", extra_env=env,
                                 http=True) as desk:
                await desk.alice.send(VIN)
                card = desk.card_of(1).message_id
                await desk.ann.click_data(card, "take:1")
                await desk.ann.send_document(PDF, "report.pdf", "application/pdf", reply_to=card)
                await drain(desk)
                [journal] = await service(desk).store.deliveries(1)
                assert journal.archive_key is not None
                files = desk.play.emulator.files  # Telegram forgets the file
                stored = files.by_id.pop(journal.file_id)
                files.by_path.pop(stored.file_path)
                async with httpx.AsyncClient(base_url=desk.play.http_url, headers={
                        "Authorization": f"Bearer {KEY}", "X-Customer-Id": str(desk.alice.id)}) as app:
                    report = await app.get("/api/v1/tickets/1/report")
                    assert report.status_code == 200
                    assert report.content == PDF
                    assert report.headers["X-Report-Sha256"] == hashlib.sha256(PDF).hexdigest()
                    damaged = b"%PDF-1.4 something else entirely"
                    await s3.put_object(Bucket=BUCKET, Key=journal.archive_key, Body=damaged,
                                        Metadata={"sha256": hashlib.sha256(PDF).hexdigest(),
                                                  "ticket-id": "1"})
                    refused = await app.get("/api/v1/tickets/1/report")
                    assert refused.status_code == 503
                    assert refused.json()["error"]["code"] == "unavailable"
