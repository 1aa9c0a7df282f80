"""The admin panel's tables: accounts, server-side sessions, and each ticket's history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .models import NAME_LENGTH, Base, UtcDateTime

__all__ = ["PanelAccount", "PanelSession", "TicketHistory"]


class PanelAccount(Base):
    """Who may log in to the panel: the password's argon2 hash, failures counted for the lock-out."""

    __tablename__ = "panel_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # migration 0006


class PanelSession(Base):
    """A logged-in browser: ``id`` is the SHA-256 of the cookie's random token (a stolen database
    gives no usable cookie); ``csrf`` the token every form posts back."""

    __tablename__ = "panel_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("panel_accounts.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_panel_sessions_expires", "expires_at"),)


class TicketHistory(Base):
    """One change of a ticket, written in the transaction that made it: ``event`` (created, taken,
    done, canceled, reassigned, priority, reopened), who did it and an optional note (a reason)."""

    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    event: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    note: Mapped[str | None] = mapped_column(String(512))

    __table_args__ = (Index("ix_ticket_history_ticket", "ticket_id", "at"),)
