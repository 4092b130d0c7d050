"""duplicates: which merged ticket a follower came with

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_reporter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via_ticket", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_reporter", schema=None) as batch_op:
        batch_op.drop_column("via_ticket")
