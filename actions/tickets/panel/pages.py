"""The panel's pages and forms under ``/admin``: log-in, the ticket list, a ticket, its actions, the
report, the statistics. Every page but the log-in needs a session; every form posts its CSRF token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiohttp import web

from actions.tickets.archive import telegram_fetch
from actions.tickets.desk_service import Desk, store_errors
from actions.tickets.panel.render import LOCALES, Pages, breaches_svg, card_link, medians_svg
from actions.tickets.panel.security import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    PASSWORD_LIMIT,
    SESSION_TTL,
    Guard,
    Login,
    set_cookie,
)
from actions.tickets.reports import NoReport, read_report
from actions.tickets.store import TicketStatus
from actions.tickets.store.panel import TicketFilter
from engine.routes import RouteContext
from engine.settings import timezone_of

__all__ = ["Panel"]

PER_PAGE = 25
REASON_LIMIT = 500
ACTIONS = ("reassign", "priority", "cancel", "reopen")
NAME_TTL = 86400


class BadForm(Exception):
    """A filter or form value that does not parse (answered 400 with the page's text)."""


@dataclass
class Panel:
    guard: Guard
    pages: Pages

    # --- log-in ---------------------------------------------------------------------------------

    async def login_page(self, request: web.Request, ctx: RouteContext, problem: str = "",
                         status: int = 200) -> web.StreamResponse:
        token = secrets.token_urlsafe(24)
        response = self.pages.render(request, "login.html", timezone_of(ctx.settings), status=status,
                                     csrf=token, problem=problem, login=None)
        set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
        self._keep_locale(request, response)
        return response

    async def login(self, request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        form = await request.post()
        if not Guard.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
            return await self.login_page(request, ctx, "login_expired", status=403)
        name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))[:PASSWORD_LIMIT]
        result = await self.guard.log_in(request, name, password)
        if result is None or result.startswith("!"):
            reason = (result or "!wrong")[1:]
            ctx.log.warning("panel log-in refused for %r from %s (%s)", name, request.remote, reason)
            return await self.login_page(request, ctx, f"login_{reason}", status=401)
        ctx.log.info("panel log-in: %s from %s", name, request.remote)
        response = _redirect("/admin/tickets")
        set_cookie(response, request, COOKIE, result, max_age=int(SESSION_TTL.total_seconds()))
        response.del_cookie(LOGIN_CSRF_COOKIE, path="/admin")
        return response

    async def logout(self, request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        login = await self._login(request)
        form = await request.post()
        if login is not None and Guard.csrf_ok(login.csrf, form.get("csrf")):
            await self.guard.log_out(request)
        response = _redirect("/admin/login")
        response.del_cookie(COOKIE, path="/admin")
        return response

    async def _login(self, request: web.Request) -> Login | None:
        with store_errors():
            return await self.guard.current(request)

    async def _required(self, request: web.Request) -> Login:
        login = await self._login(request)
        if login is None:
            raise web.HTTPSeeOther("/admin/login")
        return login

    async def _with_listed(self, ctx: RouteContext, known: dict[int, str]) -> dict[int, str]:
        """The managers who held tickets plus those in MANAGER_IDS, named as Telegram knows them
        in the managers' group (asked once a day per manager; the id when Telegram cannot say)."""
        for raw in ctx.settings.get("MANAGER_IDS") or ():
            manager_id = int(raw)
            if manager_id in known:
                continue
            key = f"panel:manager-name:{manager_id}"
            name = await self.guard.kv.get(key)
            if name is None:
                try:
                    member = await ctx.services.get(Bot).get_chat_member(
                        Desk.manager_chat(ctx.settings), manager_id)
                    name = member.user.full_name or str(manager_id)
                except (TelegramAPIError, ValueError) as exc:
                    ctx.log.info("panel: no name for manager %s: %s", manager_id, exc)
                    name = str(manager_id)
                await self.guard.kv.set(key, name, NAME_TTL)
            known[manager_id] = name
        return known

    @staticmethod
    def _keep_locale(request: web.Request, response: web.StreamResponse) -> None:
        if request.query.get("lang") in LOCALES:
            set_cookie(response, request, "tgflow_panel_lang", request.query["lang"], 365 * 86400)

    # --- pages ----------------------------------------------------------------------------------

    async def index(self, request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        raise web.HTTPSeeOther("/admin/tickets")

    async def tickets(self, request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        login = await self._required(request)
        desk, tz = ctx.services.get(Desk), timezone_of(ctx.settings)
        try:
            where, page = _filters(request.query)
        except BadForm:
            return self.pages.render(request, "error.html", tz, 400, login=login, problem="bad_filter")
        with store_errors():
            rows, total = await desk.store.search(where, page=page, per_page=PER_PAGE, tz=tz)
            managers = await desk.store.managers()
        query = {k: v for k, v in request.query.items() if k not in ("page", "lang") and v}
        pages = max(1, -(-total // PER_PAGE))
        response = self.pages.render(
            request, "tickets.html", tz, login=login, rows=rows, total=total, page=page, pages=pages,
            query=query, managers=managers, statuses=[s.value for s in TicketStatus],
            link=lambda p: "/admin/tickets?" + urlencode({**query, "page": p}))
        self._keep_locale(request, response)
        return response

    async def ticket(self, request: web.Request, ctx: RouteContext,
                     problem: str = "", status: int = 200) -> web.StreamResponse:
        login = await self._required(request)
        desk, tz = ctx.services.get(Desk), timezone_of(ctx.settings)
        ticket_id = _ticket_id(ctx)
        with store_errors():
            ticket = await desk.store.get(ticket_id) if ticket_id else None
            if ticket is None:
                return self.pages.render(request, "error.html", tz, 404, login=login, problem="not_found")
            history = await desk.store.history(ticket.id)
            deliveries = await desk.store.deliveries(ticket.id)
            managers = dict(await desk.store.managers())
        managers = await self._with_listed(ctx, managers)
        return self.pages.render(request, "ticket.html", tz, status, login=login, ticket=ticket,
                                 history=history, deliveries=deliveries, problem=problem,
                                 card=card_link(ticket.card_chat_id, ticket.card_message_id),
                                 done=request.query.get("done", ""),
                                 managers=sorted(managers.items(), key=lambda m: m[1].lower()))

    async def act(self, request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        login = await self._required(request)
        form = await request.post()
        if not Guard.csrf_ok(login.csrf, form.get("csrf")):
            ctx.log.warning("panel: %s posted without a valid CSRF token", login.name)
            return self.pages.render(request, "error.html", timezone_of(ctx.settings), 403, login=login,
                                     problem="csrf")
        action, ticket_id = ctx.params["action"], _ticket_id(ctx)
        if action not in ACTIONS or not ticket_id:
            raise web.HTTPNotFound()
        desk, by = ctx.services.get(Desk), login.name
        reason = str(form.get("reason", "")).strip()[:REASON_LIMIT]
        with store_errors():
            if action == "reassign":
                raw = str(form.get("manager", ""))
                managers = await self._with_listed(ctx, dict(await desk.store.managers()))
                if not raw.isdigit() or int(raw) not in managers:
                    return await self.ticket(request, ctx, "bad_manager", 400)
                result = await desk.store.reassign(ticket_id, int(raw), managers[int(raw)], by=by)
            elif action == "priority":
                result = await desk.store.raise_by_admin(ticket_id, by=by)
            elif not reason:
                return await self.ticket(request, ctx, "reason_required", 400)
            elif action == "cancel":
                result = await desk.store.cancel_by_admin(ticket_id, reason, by=by)
            else:
                result = await desk.store.reopen(ticket_id, reason, by=by)
        if result.ticket is None:
            raise web.HTTPNotFound()
        if not result.ok:
            return await self.ticket(request, ctx, "not_now", 409)
        ctx.log.info("panel: %s %s ticket %s", by, action, ticket_id)
        await desk.refresh_card(ctx.notifier, ctx.settings, result.ticket, ctx.now())
        if action == "cancel":  # the customer is told, in their language (not the inner reason)
            await desk.tell_customer(ctx.notifier, "customer_canceled", result.ticket, ctx.now())
        raise web.HTTPSeeOther(f"/admin/tickets/{ticket_id}?done={action}")

    async def report(self, request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        await self._required(request)
        desk, ticket_id = ctx.services.get(Desk), _ticket_id(ctx)
        with store_errors():
            ticket = await desk.store.get(ticket_id) if ticket_id else None
        if ticket is None:
            raise web.HTTPNotFound()
        try:
            found = await read_report(desk, ticket, telegram_fetch(lambda: ctx.services.get(Bot)))
        except NoReport:
            raise web.HTTPNotFound() from None
        return web.Response(body=found.data, content_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="vin-{ticket.vin}-{ticket.id}.pdf"',
            "X-Report-Sha256": found.sha256, "Cache-Control": "no-store"})

    async def stats(self, request: web.Request, ctx: RouteContext) -> web.StreamResponse:
        login = await self._required(request)
        desk, tz = ctx.services.get(Desk), timezone_of(ctx.settings)
        raw = request.query.get("days", "14")
        days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 90 else 14
        since = datetime.combine(ctx.now().astimezone(tz).date() - timedelta(days=days - 1),
                                 datetime.min.time(), tz)
        with store_errors():
            figures, breaches = await desk.store.panel_stats(
                since, new_minutes=int(ctx.settings.get("SLA_NEW_MINUTES") or 0),
                taken_minutes=int(ctx.settings.get("SLA_TAKEN_MINUTES") or 0), tz=tz)
        chart = breaches_svg(breaches, self.pages.text(request, "stats_chart"))
        medians = medians_svg(figures, self.pages.text(request, "stats_to_take"),
                              self.pages.text(request, "stats_to_done"))
        return self.pages.render(request, "stats.html", tz, login=login, figures=figures,
                                 breaches=breaches, chart=chart, medians=medians, days=days)


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _ticket_id(ctx: RouteContext) -> int:
    raw = ctx.params.get("ticket_id", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31 else 0


def _filters(query: Any) -> tuple[TicketFilter, int]:
    def day(name: str) -> date | None:
        raw = query.get(name, "")
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadForm(name) from None

    def number(name: str) -> int | None:
        raw = query.get(name, "")
        if not raw:
            return None
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise BadForm(name)
        return int(raw)

    status = query.get("status", "")
    if status and status not in {s.value for s in TicketStatus}:
        raise BadForm("status")
    vin = query.get("vin", "").strip()[:17]
    page = number("page") or 1
    return TicketFilter(status=TicketStatus(status) if status else None, assignee_id=number("manager"),
                        vin=vin, created_from=day("from"), created_to=day("to"),
                        min_priority=number("priority")), page
