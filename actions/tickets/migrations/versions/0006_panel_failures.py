"""When a panel account last failed to log in: failures further apart than the lock-out's length
no longer add up to a lock ("five in a row" means within the lock-out's window).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("panel_accounts") as batch_op:
        batch_op.add_column(sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("panel_accounts") as batch_op:
        batch_op.drop_column("last_failed_at")
