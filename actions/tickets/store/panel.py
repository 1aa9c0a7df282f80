"""What the admin panel asks of the store: accounts and sessions, a filtered page of tickets, a
ticket's history, the administrators' changes (reassign, raise, cancel with a reason, reopen) and the
figures of the statistics page. Every change is one conditional UPDATE plus its history line (and the
webhook event where there is one) in one transaction, like the bot's."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .base import StoreBase, visible
from .delivery import _unsettled
from .models import NAME_LENGTH, OPEN_STATUSES, Ticket, TicketStatus
from .panel_models import PanelAccount, PanelSession, TicketHistory
from .views import TicketView, TransitionCode, TransitionResult

__all__ = ["AccountView", "HistoryView", "PanelStore", "TicketFilter"]

NOTE_LENGTH = 512


@dataclass(frozen=True)
class AccountView:
    id: int
    name: str
    password_hash: str
    locked_until: datetime | None


@dataclass(frozen=True)
class HistoryView:
    at: datetime
    event: str
    status: str
    actor: str | None
    note: str | None


@dataclass(frozen=True)
class TicketFilter:
    """The list's filters; empty fields do not filter. ``vin``: a part of the VIN."""

    status: TicketStatus | None = None
    assignee_id: int | None = None
    vin: str = ""
    created_from: date | None = None
    created_to: date | None = None  # inclusive
    min_priority: int | None = None


class PanelStore(StoreBase):
    # --- accounts and sessions ------------------------------------------------------------------

    async def add_account(self, name: str, password_hash: str) -> bool:
        """A new account; False when the name is taken."""
        try:
            async with self._transaction(write=True) as session:
                session.add(PanelAccount(name=name, password_hash=password_hash, failed_logins=0,
                                         created_at=self._now()))
        except IntegrityError:
            return False
        return True

    async def set_password(self, name: str, password_hash: str) -> bool:
        """A new password (the lock lifted); every session of the account ends, so a password
        changed after a leak shuts out whoever used it. False when there is no such account."""
        async with self._transaction(write=True) as session:
            account_id = await session.scalar(select(PanelAccount.id).where(PanelAccount.name == name))
            if account_id is None:
                return False
            await session.execute(update(PanelAccount).where(PanelAccount.id == account_id)
                                  .values(password_hash=password_hash, failed_logins=0, locked_until=None))
            await session.execute(delete(PanelSession).where(PanelSession.account_id == account_id))
            return True

    async def account(self, name: str) -> AccountView | None:
        async with self._transaction(write=False) as session:
            row = await session.scalar(select(PanelAccount).where(PanelAccount.name == name))
            return None if row is None else AccountView(row.id, row.name, row.password_hash,
                                                        row.locked_until)

    async def login_failed(self, account_id: int, *, lock_after: int, lock_for: timedelta) -> bool:
        """Count a failed log-in; the ``lock_after``-th in a row locks the account for ``lock_for``
        (True then). A failure more than ``lock_for`` after the previous one starts a new row."""
        now = self._now()
        async with self._transaction(write=True) as session:
            row = await session.get(PanelAccount, account_id, with_for_update=True)
            if row is None:
                return False
            if row.last_failed_at is None or now - row.last_failed_at > lock_for:
                row.failed_logins = 0
            row.failed_logins += 1
            row.last_failed_at = now
            if row.failed_logins >= lock_after:
                row.failed_logins, row.locked_until = 0, now + lock_for
                return True
            return False

    async def open_session(self, account_id: int, session_id: str, csrf: str, ttl: timedelta) -> None:
        """A successful log-in: failures forgotten, the session stored (by its token's hash)."""
        now = self._now()
        async with self._transaction(write=True) as session:
            await session.execute(update(PanelAccount).where(PanelAccount.id == account_id)
                                  .values(failed_logins=0, locked_until=None, last_login_at=now))
            await session.execute(delete(PanelSession).where(PanelSession.expires_at <= now))
            session.add(PanelSession(id=session_id, account_id=account_id, csrf=csrf, created_at=now,
                                     expires_at=now + ttl))

    async def session_of(self, session_id: str) -> tuple[str, str] | None:
        """(account name, CSRF token) of a live session, or None."""
        async with self._transaction(write=False) as session:
            row = (await session.execute(
                select(PanelAccount.name, PanelSession.csrf)
                .join(PanelAccount, PanelAccount.id == PanelSession.account_id)
                .where(PanelSession.id == session_id, PanelSession.expires_at > self._now()))).first()
            return None if row is None else (row[0], row[1])

    async def close_session(self, session_id: str) -> None:
        async with self._transaction(write=True) as session:
            await session.execute(delete(PanelSession).where(PanelSession.id == session_id))

    # --- reading --------------------------------------------------------------------------------

    async def search(self, where: TicketFilter, *, page: int, per_page: int,
                     tz: tzinfo = UTC) -> tuple[list[TicketView], int]:
        """One page of tickets (most urgent open first, then newest) and how many match in all;
        dates are days in ``tz``."""
        conditions: list[Any] = [visible()]
        if where.status is not None:
            conditions.append(Ticket.status == where.status)
        if where.assignee_id is not None:
            conditions.append(Ticket.assignee_id == where.assignee_id)
        if where.vin:
            conditions.append(Ticket.vin.contains(where.vin.upper(), autoescape=True))
        if where.created_from is not None:
            conditions.append(Ticket.created_at >= _midnight(where.created_from, tz))
        if where.created_to is not None:
            conditions.append(Ticket.created_at < _midnight(where.created_to + timedelta(days=1), tz))
        if where.min_priority is not None:
            conditions.append(Ticket.priority >= where.min_priority)
        async with self._transaction(write=False) as session:
            total = int(await session.scalar(select(func.count(Ticket.id)).where(*conditions)) or 0)
            rows = await self._views(session, select(Ticket).where(*conditions).order_by(
                Ticket.status.in_(OPEN_STATUSES).desc(), Ticket.priority.desc(), Ticket.created_at.desc(),
                Ticket.id.desc()).offset((page - 1) * per_page).limit(per_page))
        return rows, total

    async def managers(self) -> list[tuple[int, str]]:
        """Everyone who ever held a ticket: (id, latest name)."""
        async with self._transaction(write=False) as session:
            rows = (await session.execute(select(Ticket.assignee_id, Ticket.assignee_name)
                                          .where(Ticket.assignee_id.is_not(None))
                                          .order_by(Ticket.taken_at))).all()
        names = {int(r[0]): str(r[1] or r[0]) for r in rows if r[0] is not None}
        return sorted(names.items(), key=lambda item: item[1].lower())

    async def history(self, ticket_id: int) -> list[HistoryView]:
        async with self._transaction(write=False) as session:
            rows = (await session.scalars(select(TicketHistory).where(TicketHistory.ticket_id == ticket_id)
                                          .order_by(TicketHistory.at, TicketHistory.id))).all()
        return [HistoryView(r.at, r.event, r.status, r.actor, r.note) for r in rows]

    # --- the administrators' changes --------------------------------------------------------------

    async def reassign(self, ticket_id: int, manager_id: int, manager_name: str, *,
                       by: str) -> TransitionResult:
        """Give a NEW or TAKEN ticket to a manager (not while its report is being sent)."""
        name = manager_name[:NAME_LENGTH]
        async with self._transaction(write=True) as session:
            before = await self._load(session, ticket_id)
            changed = before is not None and before.assignee_id != manager_id and await self._update(
                session, ticket_id, Ticket.status.in_(OPEN_STATUSES), Ticket.delivery_started_at.is_(None),
                status=TicketStatus.TAKEN, assignee_id=manager_id, assignee_name=name,
                taken_at=func.coalesce(Ticket.taken_at, self._now()), last_reminded_at=None)
            ticket = await self._load(session, ticket_id)
            if changed and ticket is not None and before is not None:
                if before.status is TicketStatus.NEW:
                    self._emit(session, "ticket.taken", ticket, actor=by, note=name)
                else:
                    self._history(session, ticket, "reassigned", by, f"{before.assignee_name} → {name}")
        return self._result(bool(changed), ticket)

    async def raise_by_admin(self, ticket_id: int, *, by: str) -> TransitionResult:
        async with self._transaction(write=True) as session:
            changed = await self._update(session, ticket_id, Ticket.status.in_(OPEN_STATUSES),
                                         priority=Ticket.priority + 1)
            ticket = await self._load(session, ticket_id)
            if changed and ticket is not None:
                self._history(session, ticket, "priority", by, str(ticket.priority))
        return self._result(changed, ticket)

    async def cancel_by_admin(self, ticket_id: int, reason: str, *, by: str) -> TransitionResult:
        """Cancel a NEW or TAKEN ticket with a reason (not while its report is being sent)."""
        async with self._transaction(write=True) as session:
            changed = await self._update(
                session, ticket_id, Ticket.status.in_(OPEN_STATUSES), Ticket.delivery_started_at.is_(None),
                status=TicketStatus.CANCELED, canceled_at=self._now())
            ticket = await self._load(session, ticket_id)
            if changed:
                self._emit(session, "ticket.canceled", ticket, actor=by, note=reason[:NOTE_LENGTH])
        return self._result(changed, ticket)

    async def reopen(self, ticket_id: int, reason: str, *, by: str) -> TransitionResult:
        """DONE → TAKEN by the same manager, for a corrected report (the sent one stays in the
        journal; the next one is delivered like any)."""
        async with self._transaction(write=True) as session:
            changed = await self._update(
                session, ticket_id, Ticket.status == TicketStatus.DONE, Ticket.assignee_id.is_not(None),
                ~_unsettled(), status=TicketStatus.TAKEN, done_at=None, last_reminded_at=None)
            ticket = await self._load(session, ticket_id)
            if changed and ticket is not None:
                self._history(session, ticket, "reopened", by, reason[:NOTE_LENGTH])
        return self._result(changed, ticket)

    @staticmethod
    def _result(changed: bool, ticket: TicketView | None) -> TransitionResult:
        if ticket is None:
            return TransitionResult(TransitionCode.NOT_FOUND)
        return TransitionResult(TransitionCode.OK if changed else TransitionCode.WRONG_STATUS, ticket)

    # --- statistics -----------------------------------------------------------------------------

    async def panel_stats(self, since: datetime, *, new_minutes: int, taken_minutes: int,
                          tz: tzinfo = UTC) -> tuple[list[dict[str, Any]], list[tuple[date, int]]]:
        """Per manager (tickets taken since ``since``): taken, done, median minutes to take and to
        finish; and per day (in ``tz``) since then, the tickets that broke the SLA (taken later than
        ``new_minutes`` after opening, or finished later than ``taken_minutes`` after taking; 0: no
        limit; an open ticket past its limit counts on its opening day)."""
        now = self._now()
        async with self._transaction(write=False) as session:
            rows = (await session.execute(
                select(Ticket.assignee_id, Ticket.assignee_name, Ticket.created_at, Ticket.taken_at,
                       Ticket.done_at, Ticket.status).where(visible(), Ticket.created_at >= since)
                .order_by(Ticket.created_at))).all()
        people: dict[int, dict[str, Any]] = {}
        breaches: dict[date, int] = {}
        day = since.astimezone(tz).date()
        while day <= now.astimezone(tz).date():
            breaches[day] = 0
            day += timedelta(days=1)
        for manager_id, name, created, taken, done, status in rows:
            late_take = new_minutes > 0 and (taken or (now if status == TicketStatus.NEW else None)) \
                is not None and ((taken or now) - created) > timedelta(minutes=new_minutes)
            late_done = taken_minutes > 0 and taken is not None and status != TicketStatus.CANCELED and \
                ((done or now) - taken) > timedelta(minutes=taken_minutes)
            if late_take or late_done:
                opened = created.astimezone(tz).date()
                breaches[opened] = breaches.get(opened, 0) + 1
            if manager_id is None or taken is None:
                continue
            person = people.setdefault(int(manager_id), {
                "id": int(manager_id), "name": name or str(manager_id), "taken": 0, "done": 0,
                "to_take": [], "to_done": []})
            person["name"] = name or person["name"]
            person["taken"] += 1
            person["to_take"].append((taken - created).total_seconds() / 60)
            if status == TicketStatus.DONE and done is not None:
                person["done"] += 1
                person["to_done"].append((done - taken).total_seconds() / 60)
        figures = [{"id": p["id"], "name": p["name"], "taken": p["taken"], "done": p["done"],
                    "median_take": _median(p["to_take"]), "median_done": _median(p["to_done"])}
                   for p in people.values()]
        figures.sort(key=lambda f: (-f["done"], -f["taken"], f["name"]))
        return figures, sorted(breaches.items())


def _median(values: list[float]) -> int | None:
    return round(statistics.median(values)) if values else None


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tz)
