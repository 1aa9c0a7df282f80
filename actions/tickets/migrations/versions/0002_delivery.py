"""The delivery claim: when the assignee began sending a ticket's report.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("delivery_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # SQLite: the table is rebuilt (indexes, the partial unique index and the CHECK are reflected and kept).
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("delivery_started_at")
