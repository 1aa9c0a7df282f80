"""The tickets table with its indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_TICKET_CONDITION = "status IN ('NEW', 'TAKEN') AND deleted_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("customer_user_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_name", sa.String(length=256), nullable=True),
        sa.Column("card_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("report_file_id", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('NEW', 'TAKEN', 'DONE', 'CANCELED')", name=op.f("ck_tickets_status")),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )
    op.create_index("ix_tickets_customer_status", "tickets", ["customer_user_id", "status"])
    op.create_index("ix_tickets_customer_created", "tickets", ["customer_user_id", "created_at"])
    op.create_index("ix_tickets_queue", "tickets", ["status", "priority", "created_at"])
    op.create_index("ix_tickets_vin_customer", "tickets", ["vin", "customer_user_id"])
    op.create_index("ix_tickets_card", "tickets", ["card_message_id"])
    op.create_index("ix_tickets_assignee_taken", "tickets", ["assignee_id", "taken_at"])
    op.create_index("uq_tickets_open_customer_vin", "tickets", ["customer_user_id", "vin"], unique=True,
                    sqlite_where=sa.text(OPEN_TICKET_CONDITION),
                    postgresql_where=sa.text(OPEN_TICKET_CONDITION))


def downgrade() -> None:
    op.drop_table("tickets")
