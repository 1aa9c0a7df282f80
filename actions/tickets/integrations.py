"""The desk's integrations, set up from the environment (or DEPLOY.yaml per bot): webhooks to external
systems, the report archive in S3-compatible storage, and the outbox relay that feeds both.

| variable | meaning | default |
| --- | --- | --- |
| ``TICKETS_WEBHOOK_URLS`` | http(s) URLs that receive ticket events (comma or space separated) | none |
| ``TICKETS_WEBHOOK_SECRET`` | the HMAC-SHA256 key of the signatures (16+ characters) | required with URLs |
| ``TICKETS_WEBHOOK_TIMEOUT`` | seconds a receiver has to answer | 10 |
| ``TICKETS_OUTBOX_MAX_ATTEMPTS`` | attempts before an event or archive is given up | 20 |
| ``REPORTS_S3_BUCKET`` | the bucket delivered reports are archived in | none: no archive |
| ``REPORTS_S3_PREFIX`` | the key prefix inside the bucket | ``vin-reports/`` |
| ``REPORTS_S3_ENDPOINT_URL`` | an S3-compatible server (MinIO, ...) | AWS |
| ``REPORTS_S3_REGION`` | the region | ``us-east-1`` |
| ``REPORTS_S3_ACCESS_KEY_ID`` / ``REPORTS_S3_SECRET_ACCESS_KEY`` | credentials | botocore's chain |
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiogram import Bot

from actions.tickets.archive import ReportArchive, telegram_fetch
from actions.tickets.metrics import DeskMetrics
from actions.tickets.relay import Handler, OutboxRelay
from actions.tickets.store import OutboxRouting, OutboxStore, TicketStore
from actions.tickets.webhooks import WebhookSender
from engine.actions import Services
from engine.errors import ConfigError
from engine.masking import SECRETS

__all__ = ["IntegrationSettings", "start_integrations"]

MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class IntegrationSettings:
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str = ""
    webhook_timeout: float = 10.0
    max_attempts: int = 20
    s3_bucket: str = ""
    s3_prefix: str = "vin-reports/"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    @property
    def routing(self) -> OutboxRouting:
        return OutboxRouting(self.webhook_urls, archive=bool(self.s3_bucket))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> IntegrationSettings:
        """Read and check the variables above; a wrong value is a ConfigError naming it."""
        urls = tuple(u for u in re.split(r"[\s,]+", environ.get("TICKETS_WEBHOOK_URLS", "")) if u)
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"TICKETS_WEBHOOK_URLS: {url!r} is not an http(s) URL")
        secret = environ.get("TICKETS_WEBHOOK_SECRET", "")
        if urls and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"TICKETS_WEBHOOK_SECRET: give a secret of at least {MIN_SECRET_LENGTH} "
                              "characters to sign the webhooks with")
        if secret:
            SECRETS.add(secret)
        prefix = environ.get("REPORTS_S3_PREFIX", cls.s3_prefix)
        return cls(
            webhook_urls=urls, webhook_secret=secret,
            webhook_timeout=_number(environ, "TICKETS_WEBHOOK_TIMEOUT", cls.webhook_timeout),
            max_attempts=int(_number(environ, "TICKETS_OUTBOX_MAX_ATTEMPTS", cls.max_attempts)),
            s3_bucket=environ.get("REPORTS_S3_BUCKET", ""),
            s3_prefix=prefix if not prefix or prefix.endswith("/") else prefix + "/",
            s3_endpoint_url=environ.get("REPORTS_S3_ENDPOINT_URL") or None,
            s3_region=environ.get("REPORTS_S3_REGION") or cls.s3_region,
            s3_access_key_id=environ.get("REPORTS_S3_ACCESS_KEY_ID") or None,
            s3_secret_access_key=environ.get("REPORTS_S3_SECRET_ACCESS_KEY") or None,
        )


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be positive, not {raw}")
    return value


async def start_integrations(settings: IntegrationSettings, store: TicketStore, services: Services,
                             stack: contextlib.AsyncExitStack, metrics: DeskMetrics,
                             on_idle: Callable[[], Awaitable[None]] | None = None,
                             ) -> tuple[OutboxRelay, OutboxStore, ReportArchive | None]:
    """Open the HTTP session and the S3 client (closed with ``stack``), start the relay, and wake it up
    whenever the store commits an event."""
    outbox = OutboxStore(store.engine, store.clock)
    handlers: dict[str, Handler] = {}
    if settings.webhook_urls:
        http = await stack.enter_async_context(aiohttp.ClientSession())
        handlers["webhook"] = WebhookSender(http, settings.webhook_secret,
                                            timeout=settings.webhook_timeout)
    archive: ReportArchive | None = None
    if settings.s3_bucket:
        from aiobotocore.session import get_session  # the "archive" extra: only needed with a bucket

        client = await stack.enter_async_context(get_session().create_client(
            "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key))
        archive = ReportArchive(client, settings.s3_bucket, settings.s3_prefix, store,
                                telegram_fetch(lambda: services.get(Bot)))
        handlers["s3"] = archive
    relay = OutboxRelay(outbox, handlers, max_attempts=settings.max_attempts, metrics=metrics,
                        on_idle=on_idle)
    store.on_event = relay.wake
    relay.start()
    stack.push_async_callback(relay.stop)
    return relay, outbox, archive
