"""moto's S3-compatible server in a process of its own on 127.0.0.1 (PyPI ``moto[server]``), and an S3
client for it (aiobotocore)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from aiobotocore.session import get_session

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

CREDENTIALS = {"REPORTS_S3_ACCESS_KEY_ID": "testing", "REPORTS_S3_SECRET_ACCESS_KEY": "testing",
               "REPORTS_S3_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def moto_server(port: int | None = None, timeout: float = 30) -> Iterator[str]:
    """Start ``moto.server`` on ``port`` (a free one by default); its endpoint URL until the block ends."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto.server did not start on port {port}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.asynccontextmanager
async def s3_client(endpoint_url: str) -> AsyncIterator[S3Client]:
    async with get_session().create_client(
            "s3", endpoint_url=endpoint_url, region_name=CREDENTIALS["REPORTS_S3_REGION"],
            aws_access_key_id=CREDENTIALS["REPORTS_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["REPORTS_S3_SECRET_ACCESS_KEY"]) as client:
        yield client
