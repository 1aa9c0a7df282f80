"""The VIN desk's REST API for apps, under ``/api/v1``, served beside the bot by ``serve`` and the
web playground (``pkg.add_route``): see the README's "The VIN desk's API for apps"."""

from __future__ import annotations

from actions.tickets.api.http import preflight
from actions.tickets.api.keys import ApiKeys
from actions.tickets.api.openapi import serve_document
from actions.tickets.api.tickets import create_ticket, get_report, get_ticket, list_tickets
from engine.packages import PackageContext
from engine.settings import Settings

__all__ = ["register_api"]

BASE = "/api/v1"


async def _check_keys(settings: Settings) -> None:
    ApiKeys.parse(str(settings.get("API_KEYS") or ""))  # a malformed list stops the start


def register_api(pkg: PackageContext) -> None:
    pkg.add_route("GET", f"{BASE}/openapi.json", serve_document)
    pkg.add_route("POST", f"{BASE}/tickets", create_ticket)
    pkg.add_route("GET", f"{BASE}/tickets", list_tickets)
    pkg.add_route("GET", f"{BASE}/tickets/{{ticket_id}}", get_ticket)
    pkg.add_route("GET", f"{BASE}/tickets/{{ticket_id}}/report", get_report)
    for path in ("/tickets", "/tickets/{ticket_id}", "/tickets/{ticket_id}/report"):
        pkg.add_route("OPTIONS", BASE + path, preflight)
    pkg.after_settings(_check_keys)
