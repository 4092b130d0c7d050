"""ticket lifecycle: deadlines, assignee, escalation, merge, return visits

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_WHEN = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "platform", "user_id"),
    )
    with op.batch_alter_table("ticket_rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_rating_ticket_id"), ["ticket_id"])

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("direct", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    # Existing rows get empty values; the new NOT NULL columns need a server default for them.
    empty = sa.text("''")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name in ("respond_by", "resolve_by", "responded_at", "closed_at"):
            batch_op.add_column(sa.Column(name, _WHEN, nullable=True))
        batch_op.add_column(
            sa.Column("assignee_id", sa.String(128), nullable=False, server_default=empty)
        )
        batch_op.add_column(
            sa.Column("assignee_name", sa.String(128), nullable=False, server_default=empty)
        )
        batch_op.add_column(sa.Column("level", sa.String(16), nullable=True))
        batch_op.add_column(
            sa.Column("external_ref", sa.String(64), nullable=False, server_default=empty)
        )
        batch_op.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reopened", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(
            sa.Column("closure", sa.String(16), nullable=False, server_default=empty)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("direct")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name in (
            "closure",
            "reopened",
            "merged_into",
            "external_ref",
            "level",
            "assignee_name",
            "assignee_id",
            "closed_at",
            "responded_at",
            "resolve_by",
            "respond_by",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("ticket_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_rating_ticket_id"))
    op.drop_table("ticket_rating")
