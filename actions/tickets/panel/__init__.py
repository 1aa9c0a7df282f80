"""The VIN desk's admin panel under ``/admin`` (served by ``serve`` and the web playground through
``pkg.add_route``): see the README's "The VIN desk's admin panel"."""

from __future__ import annotations

from actions.tickets.panel.pages import Panel
from actions.tickets.panel.render import Pages
from actions.tickets.panel.security import Guard
from actions.tickets.store import TicketStore
from engine.packages import PackageContext

__all__ = ["register_panel"]


def register_panel(pkg: PackageContext, store: TicketStore) -> None:
    panel = Panel(Guard(store, pkg.kv), Pages())
    pkg.add_route("GET", "/admin", panel.index)
    pkg.add_route("GET", "/admin/login", panel.login_page)
    pkg.add_route("POST", "/admin/login", panel.login)
    pkg.add_route("POST", "/admin/logout", panel.logout)
    pkg.add_route("GET", "/admin/tickets", panel.tickets)
    pkg.add_route("GET", "/admin/tickets/{ticket_id}", panel.ticket)
    pkg.add_route("POST", "/admin/tickets/{ticket_id}/{action}", panel.act)
    pkg.add_route("GET", "/admin/tickets/{ticket_id}/report", panel.report)
    pkg.add_route("GET", "/admin/stats", panel.stats)
