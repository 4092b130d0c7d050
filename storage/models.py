"""The SQLModel tables: raw message log, tickets and their reporters and events, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Column, Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no zone) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class MessageRow(SQLModel, table=True):
    """Every message seen in a chat; a redelivered one hits the unique key and is ignored."""

    __tablename__ = "message"
    __table_args__ = (sa.UniqueConstraint("platform", "chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    message_id: str = Field(max_length=128)
    grid_id: str | None = Field(default=None, max_length=64, index=True)
    sender_id: str = Field(max_length=128)
    sender_name: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    text: str
    reply_to: str | None = Field(default=None, max_length=128)
    mentions: str = ""  # space-separated platform user ids
    sent_at: datetime = _when(nullable=False)
    received_at: datetime = _when(nullable=False)
    processed_at: datetime | None = _when(nullable=True)
    error: str = ""  # why processing failed, for the operator
    ticket_id: int | None = None  # the ticket it opened or joined (no FK: tickets point back)


class StreetCounter(SQLModel, table=True):
    """The last ticket number handed out in a street; numbers are short and never reused."""

    __tablename__ = "street_counter"

    street: str = Field(primary_key=True, max_length=64)
    last_number: int = 0


class TicketRow(SQLModel, table=True):
    """A work order (工单)."""

    __tablename__ = "ticket"
    __table_args__ = (sa.UniqueConstraint("street", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    number: int
    street: str = Field(max_length=64)
    grid_id: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    state: str = Field(max_length=16, index=True)
    triage: str = Field(max_length=8)
    category: str = Field(max_length=16)
    urgent: bool = False
    confidence: float = 0.0
    summary: str
    reasons: str = ""  # one reason a line
    source_message_id: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)
    resolved_at: datetime | None = _when(nullable=True)
    respond_by: datetime | None = _when(nullable=True)
    resolve_by: datetime | None = _when(nullable=True)
    responded_at: datetime | None = _when(nullable=True)
    closed_at: datetime | None = _when(nullable=True)
    assignee_id: str = Field(default="", max_length=128)
    assignee_name: str = Field(default="", max_length=128)
    level: str | None = Field(default=None, max_length=16)  # where it was escalated to
    external_ref: str = Field(default="", max_length=64)  # e.g. a 12345 hotline number
    merged_into: int | None = None  # the number of the ticket it was merged into
    reopened: int = 0
    closure: str = Field(default="", max_length=16)  # rated | unrated, once closed


class TicketReporterRow(SQLModel, table=True):
    """A resident who reported a ticket or joined it later; they hear of its changes."""

    __tablename__ = "ticket_reporter"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    name: str = Field(max_length=128)
    joined_at: datetime = _when(nullable=False)
    via_ticket: int | None = None  # the ticket they came with when it was merged into this one


class TicketRatingRow(SQLModel, table=True):
    """A reporter's answer to the return visit (回访): a score 1–5 and their words."""

    __tablename__ = "ticket_rating"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=128)
    name: str = Field(max_length=128)
    score: int
    comment: str = ""
    at: datetime = _when(nullable=False)


class TicketEventRow(SQLModel, table=True):
    """The audit trail: who changed what on a ticket, when, and the note they gave."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = _when(nullable=False)
    actor_id: str = Field(max_length=128)
    actor_name: str = Field(max_length=128)
    action: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str | None = Field(default=None, max_length=16)
    note: str = ""


class OutboxRow(SQLModel, table=True):
    """A message stored before it is sent; delivered, confirmed and never sent twice."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    kind: str = Field(max_length=16, default="text")
    text: str
    mentions: str = "[]"  # JSON list of [user id, name]
    reply_to: str | None = Field(default=None, max_length=128)
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    direct: bool = False  # a private message: chat_id is the person's user id
    image: bytes | None = Field(default=None, sa_column=Column(sa.LargeBinary(), nullable=True))
    status: str = Field(max_length=8, default="pending", index=True)
    attempts: int = 0
    last_error: str = ""
    created_at: datetime = _when(nullable=False)
    next_attempt_at: datetime = _when(nullable=False, index=True)
    sent_at: datetime | None = _when(nullable=True)
    platform_message_id: str | None = Field(default=None, max_length=128)


class ScheduledRunRow(SQLModel, table=True):
    """A scheduled job that has been done (a status post, a digest, a reminder), by its key:
    recorded in the same transaction as what it queued, so it is never done twice, by this
    process after a restart or by another process sharing the database."""

    __tablename__ = "scheduled_run"

    key: str = Field(primary_key=True, max_length=160)
    grid_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    at: datetime = _when(nullable=False)


class LabelledExampleRow(SQLModel, table=True):
    """A message a gridworker labelled by confirming or correcting the classifier; `gridbot
    train` learns from these."""

    __tablename__ = "labelled_example"

    id: int | None = Field(default=None, primary_key=True)
    text: str
    triage: str = Field(max_length=8)
    category: str = Field(max_length=16)
    urgent: bool = False
    source: str = Field(max_length=16)  # confirmed | corrected
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    actor_id: str = Field(max_length=128)
    created_at: datetime = _when(nullable=False)
