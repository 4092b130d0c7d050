"""The SQL ticket store: the core's `Store` port over SQLModel sessions."""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain import (
    Closure,
    LabelledExample,
    Level,
    Rating,
    Reporter,
    Ticket,
    TicketEvent,
    TicketState,
    Triage,
    Verdict,
)
from bot.messages import InboundMessage, Mention, MessageKind, OutboundMessage
from bot.ports import OutboxItem
from storage.models import (
    LabelledExampleRow,
    MessageRow,
    OutboxRow,
    ScheduledRunRow,
    StreetCounter,
    TicketEventRow,
    TicketRatingRow,
    TicketReporterRow,
    TicketRow,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _ticket(
    row: TicketRow,
    reporters: Sequence[TicketReporterRow],
    ratings: Sequence[TicketRatingRow] = (),
) -> Ticket:
    assert row.id is not None
    return Ticket(
        id=row.id,
        number=row.number,
        street=row.street,
        grid_id=row.grid_id,
        platform=row.platform,
        chat_id=row.chat_id,
        state=TicketState(row.state),
        triage=Triage(row.triage),
        category=row.category,
        urgent=row.urgent,
        confidence=row.confidence,
        summary=row.summary,
        reasons=tuple(row.reasons.splitlines()),
        created_at=row.created_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        reporters=tuple(
            Reporter(
                platform=r.platform,
                user_id=r.user_id,
                name=r.name,
                joined_at=r.joined_at,
                via=r.via_ticket,
            )
            for r in sorted(reporters, key=lambda r: (r.joined_at, r.id or 0))
        ),
        respond_by=row.respond_by,
        resolve_by=row.resolve_by,
        responded_at=row.responded_at,
        closed_at=row.closed_at,
        assignee_id=row.assignee_id,
        assignee_name=row.assignee_name,
        level=Level(row.level) if row.level else None,
        external_ref=row.external_ref,
        merged_into=row.merged_into,
        reopened=row.reopened,
        closure=Closure(row.closure),
        ratings=tuple(
            Rating(r.platform, r.user_id, r.name, r.score, r.comment, r.at)
            for r in sorted(ratings, key=lambda r: (r.at, r.id or 0))
        ),
    )


_Row = TypeVar("_Row", TicketReporterRow, TicketRatingRow)
# Ids in one IN (…): PostgreSQL's driver takes at most 65,535 parameters a statement.
_CHUNK = 1000


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


# The ticket fields `update_ticket` writes; the rest never change after opening.
_MUTABLE = (
    "state",
    "triage",
    "category",
    "urgent",
    "updated_at",
    "resolved_at",
    "respond_by",
    "resolve_by",
    "responded_at",
    "closed_at",
    "assignee_id",
    "assignee_name",
    "level",
    "external_ref",
    "merged_into",
    "reopened",
    "closure",
)


class SqlTransaction:
    """One unit of work on a session; see `bot.ports.StoreTransaction`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _message_row(self, message: InboundMessage) -> int | None:
        return self._session.exec(
            select(MessageRow.id).where(
                MessageRow.platform == message.platform,
                MessageRow.chat_id == message.chat_id,
                MessageRow.message_id == message.message_id,
            )
        ).first()

    def _seen(self, message: InboundMessage) -> tuple[int | None, datetime | None] | None:
        return self._session.exec(
            select(MessageRow.id, MessageRow.processed_at).where(
                MessageRow.platform == message.platform,
                MessageRow.chat_id == message.chat_id,
                MessageRow.message_id == message.message_id,
            )
        ).first()

    def record_message(self, message: InboundMessage, *, grid_id: str | None) -> int | None:
        seen = self._seen(message)
        if seen is not None:
            row_id, processed_at = seen
            return row_id if processed_at is None else None
        row = MessageRow(
            platform=message.platform,
            chat_id=message.chat_id,
            message_id=message.message_id,
            grid_id=grid_id,
            sender_id=message.sender_id,
            sender_name=message.sender_name,
            kind=message.kind.value,
            text=message.text,
            reply_to=message.reply_to,
            mentions=" ".join(message.mentions),
            sent_at=message.time,
            received_at=_now(),
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except sa.exc.IntegrityError:
            # Another process stored the same message a moment ago; whoever claims it first
            # processes it.
            return self._message_row(message)
        return row.id

    def claim_message(self, message_row: int) -> bool:
        # A conditional UPDATE: on PostgreSQL a second claimant waits for the first to commit
        # and then finds the row taken; SQLite serialises writers (BEGIN IMMEDIATE).
        claimed = self._session.execute(
            sa.update(MessageRow)
            .where(col(MessageRow.id) == message_row, col(MessageRow.processed_at).is_(None))
            .values(processed_at=_now())
        )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]

    def mark_processed(
        self, message_row: int, *, ticket_id: int | None = None, error: str = ""
    ) -> None:
        row = self._session.get_one(MessageRow, message_row)
        row.processed_at = _now()
        row.ticket_id = ticket_id
        row.error = error[:500]
        self._session.add(row)

    def _next_number(self, street: str) -> int:
        # An UPDATE takes the row's write lock on both SQLite and PostgreSQL, so two bots
        # sharing one database never hand out the same number.
        bumped = self._session.execute(
            sa.update(StreetCounter)
            .where(col(StreetCounter.street) == street)
            .values(last_number=col(StreetCounter.last_number) + 1)
        )
        if bumped.rowcount == 0:  # type: ignore[attr-defined]
            self._session.add(StreetCounter(street=street, last_number=1))
            self._session.flush()
            return 1
        counter = self._session.get_one(StreetCounter, street)
        self._session.refresh(counter)
        return counter.last_number

    def open_ticket(
        self,
        *,
        street: str,
        grid_id: str,
        message: InboundMessage,
        verdict: Verdict,
        summary: str,
        state: TicketState = TicketState.OPEN,
        respond_by: datetime | None = None,
        resolve_by: datetime | None = None,
    ) -> Ticket:
        source = self._message_row(message)
        row = TicketRow(
            number=self._next_number(street),
            street=street,
            grid_id=grid_id,
            platform=message.platform,
            chat_id=message.chat_id,
            state=state.value,
            triage=verdict.triage.value,
            category=verdict.category,
            urgent=verdict.urgent,
            confidence=verdict.confidence,
            summary=summary,
            reasons="\n".join(verdict.reasons),
            source_message_id=source,
            created_at=message.time,
            updated_at=message.time,
            respond_by=respond_by,
            resolve_by=resolve_by,
        )
        self._session.add(row)
        self._session.flush()
        assert row.id is not None
        reporter = TicketReporterRow(
            ticket_id=row.id,
            platform=message.platform,
            user_id=message.sender_id,
            name=message.sender_name,
            joined_at=message.time,
        )
        self._session.add(reporter)
        self._add_event(
            TicketEvent(
                ticket_id=row.id,
                at=message.time,
                actor_id=message.sender_id,
                actor_name=message.sender_name,
                action="opened",
                from_state=None,
                to_state=state,
                note=f"{verdict.triage.value}/{verdict.category}"
                + ("/urgent" if verdict.urgent else "")
                + f" confidence {verdict.confidence:.2f}",
            )
        )
        return _ticket(row, [reporter])

    def _by_ticket(self, table: type[_Row], ticket_ids: Sequence[int]) -> dict[int, list[_Row]]:
        """The rows of a per-ticket table (reporters, ratings) for these tickets."""
        found: dict[int, list[_Row]] = {i: [] for i in ticket_ids}
        for chunk in _chunks(ticket_ids):
            for row in self._session.exec(select(table).where(col(table.ticket_id).in_(chunk))):
                found[row.ticket_id].append(row)
        return found

    def _tickets(self, rows: Sequence[TicketRow]) -> list[Ticket]:
        ids = [r.id for r in rows if r.id is not None]
        reporters = self._by_ticket(TicketReporterRow, ids)
        ratings = self._by_ticket(TicketRatingRow, ids)
        return [_ticket(r, reporters[r.id], ratings[r.id]) for r in rows if r.id is not None]

    def _load(self, ticket_id: int) -> Ticket:
        return self._tickets([self._session.get_one(TicketRow, ticket_id)])[0]

    def get_ticket(self, street: str, number: int) -> Ticket | None:
        row = self._session.exec(
            select(TicketRow).where(TicketRow.street == street, TicketRow.number == number)
        ).first()
        if row is None:
            return None
        return self._tickets([row])[0]

    def list_tickets(
        self,
        *,
        street: str,
        grid_id: str | None = None,
        states: Iterable[TicketState] | None = None,
        since: datetime | None = None,
        after_id: int | None = None,
        changed_since: datetime | None = None,
    ) -> Sequence[Ticket]:
        query = select(TicketRow).where(TicketRow.street == street)
        if after_id is not None:
            query = query.where(col(TicketRow.id) > after_id)
        if changed_since is not None:
            query = query.where(col(TicketRow.updated_at) >= changed_since)
        if grid_id is not None:
            query = query.where(TicketRow.grid_id == grid_id)
        if states is not None:
            query = query.where(col(TicketRow.state).in_([s.value for s in states]))
        if since is not None:
            query = query.where(col(TicketRow.created_at) >= since)
        return self._tickets(list(self._session.exec(query.order_by(col(TicketRow.number)))))

    def tickets_of(self, *, street: str, platform: str, user_id: str) -> Sequence[Ticket]:
        followed = select(TicketReporterRow.ticket_id).where(
            TicketReporterRow.platform == platform, TicketReporterRow.user_id == user_id
        )
        query = select(TicketRow).where(TicketRow.street == street, col(TicketRow.id).in_(followed))
        return self._tickets(list(self._session.exec(query.order_by(col(TicketRow.number)))))

    def update_ticket(self, ticket: Ticket, event: TicketEvent) -> Ticket:
        row = self._session.get_one(TicketRow, ticket.id)
        for name in _MUTABLE:
            value = getattr(ticket, name)
            if isinstance(value, enum.Enum):
                value = value.value
            setattr(row, name, value)
        self._session.add(row)
        self._add_event(event)
        self._session.flush()
        return self._load(ticket.id)

    def add_reporter(self, ticket_id: int, reporter: Reporter) -> bool:
        seen = self._session.exec(
            select(TicketReporterRow.id).where(
                TicketReporterRow.ticket_id == ticket_id,
                TicketReporterRow.platform == reporter.platform,
                TicketReporterRow.user_id == reporter.user_id,
            )
        ).first()
        if seen is not None:
            return False
        self._session.add(
            TicketReporterRow(
                ticket_id=ticket_id,
                platform=reporter.platform,
                user_id=reporter.user_id,
                name=reporter.name,
                joined_at=reporter.joined_at,
                via_ticket=reporter.via,
            )
        )
        self._session.flush()
        return True

    def remove_reporter(self, ticket_id: int, platform: str, user_id: str) -> None:
        self._session.execute(
            sa.delete(TicketReporterRow).where(
                col(TicketReporterRow.ticket_id) == ticket_id,
                col(TicketReporterRow.platform) == platform,
                col(TicketReporterRow.user_id) == user_id,
            )
        )
        self._session.flush()

    def is_bot_message(self, platform: str, chat_id: str, message_id: str) -> bool:
        found = self._session.exec(
            select(OutboxRow.id).where(
                OutboxRow.platform == platform,
                OutboxRow.chat_id == chat_id,
                OutboxRow.platform_message_id == message_id,
            )
        ).first()
        return found is not None

    def remove_followers(self, ticket_id: int, *, via: int) -> int:
        removed = self._session.execute(
            sa.delete(TicketReporterRow).where(
                col(TicketReporterRow.ticket_id) == ticket_id,
                col(TicketReporterRow.via_ticket) == via,
            )
        )
        self._session.flush()
        return int(removed.rowcount)  # type: ignore[attr-defined]

    def ticket_by_id(self, ticket_id: int) -> Ticket | None:
        row = self._session.get(TicketRow, ticket_id)
        return None if row is None else self._tickets([row])[0]

    def ticket_of_message(self, platform: str, chat_id: str, message_id: str) -> int | None:
        return self._session.exec(
            select(MessageRow.ticket_id).where(
                MessageRow.platform == platform,
                MessageRow.chat_id == chat_id,
                MessageRow.message_id == message_id,
            )
        ).first()

    def latest_ticket_in_chat(self, platform: str, chat_id: str, *, since: datetime) -> int | None:
        return self._session.exec(
            select(MessageRow.ticket_id)
            .where(
                MessageRow.platform == platform,
                MessageRow.chat_id == chat_id,
                col(MessageRow.ticket_id).is_not(None),
                col(MessageRow.sent_at) >= since,
            )
            .order_by(col(MessageRow.id).desc())
            .limit(1)
        ).first()

    def add_rating(self, ticket_id: int, rating: Rating) -> None:
        row = self._session.exec(
            select(TicketRatingRow).where(
                TicketRatingRow.ticket_id == ticket_id,
                TicketRatingRow.platform == rating.platform,
                TicketRatingRow.user_id == rating.user_id,
            )
        ).first() or TicketRatingRow(
            ticket_id=ticket_id,
            platform=rating.platform,
            user_id=rating.user_id,
            name=rating.name,
            score=rating.score,
            at=rating.at,
        )
        row.score, row.comment = rating.score, rating.comment
        row.at, row.name = rating.at, rating.name
        self._session.add(row)
        self._session.flush()

    def ticket_text(self, ticket_id: int) -> str:
        return self.ticket_texts([ticket_id])[ticket_id]

    def ticket_texts(self, ticket_ids: Sequence[int]) -> dict[int, str]:
        texts: dict[int, str] = {}
        for chunk in _chunks(ticket_ids):
            query = (
                select(TicketRow.id, TicketRow.summary, MessageRow.text)
                .outerjoin(MessageRow, col(MessageRow.id) == col(TicketRow.source_message_id))
                .where(col(TicketRow.id).in_(chunk))
            )
            for ticket_id, summary, text in self._session.exec(query):
                if ticket_id is not None:  # a row's id, never None once stored
                    texts[ticket_id] = summary if text is None else text
        return texts

    def add_example(
        self, example: LabelledExample, *, ticket_id: int | None, actor_id: str, at: datetime
    ) -> None:
        self._session.add(
            LabelledExampleRow(
                text=example.text,
                triage=example.triage.value,
                category=example.category,
                urgent=example.urgent,
                source=example.source,
                ticket_id=ticket_id,
                actor_id=actor_id,
                created_at=at,
            )
        )

    def _add_event(self, event: TicketEvent) -> None:
        self._session.add(
            TicketEventRow(
                ticket_id=event.ticket_id,
                at=event.at,
                actor_id=event.actor_id,
                actor_name=event.actor_name,
                action=event.action,
                from_state=event.from_state.value if event.from_state else None,
                to_state=event.to_state.value if event.to_state else None,
                note=event.note,
            )
        )

    def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        rows = self._session.exec(
            select(TicketEventRow)
            .where(TicketEventRow.ticket_id == ticket_id)
            .order_by(col(TicketEventRow.at), col(TicketEventRow.id))
        )
        return [
            TicketEvent(
                ticket_id=r.ticket_id,
                at=r.at,
                actor_id=r.actor_id,
                actor_name=r.actor_name,
                action=r.action,
                from_state=TicketState(r.from_state) if r.from_state else None,
                to_state=TicketState(r.to_state) if r.to_state else None,
                note=r.note,
            )
            for r in rows
        ]

    def claim_run(self, key: str, *, grid_id: str, kind: str, at: datetime) -> bool:
        try:
            with self._session.begin_nested():
                self._session.add(ScheduledRunRow(key=key, grid_id=grid_id, kind=kind, at=at))
        except sa.exc.IntegrityError:
            return False  # done before, or by another process a moment ago
        return True

    def enqueue(self, message: OutboundMessage, *, at: datetime) -> int | None:
        if message.dedupe_key is not None:
            seen = self._session.exec(
                select(OutboxRow.id).where(OutboxRow.dedupe_key == message.dedupe_key)
            ).first()
            if seen is not None:
                return None
        row = OutboxRow(
            platform=message.platform,
            chat_id=message.chat_id,
            kind=message.kind.value,
            text=message.text,
            mentions=json.dumps(
                [[m.user_id, m.name] for m in message.mentions], ensure_ascii=False
            ),
            reply_to=message.reply_to,
            dedupe_key=message.dedupe_key,
            direct=message.direct,
            image=message.image,
            created_at=at,
            next_attempt_at=max(at, message.not_before or at),
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except sa.exc.IntegrityError:
            return None  # the same dedupe key was queued by another process a moment ago
        return row.id


class SqlStore:
    """The ticket store on an SQLAlchemy engine; see `bot.ports.Store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def unprocessed_messages(self, *, limit: int = 100) -> Sequence[tuple[int, InboundMessage]]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(MessageRow)
                .where(col(MessageRow.processed_at).is_(None))
                .order_by(col(MessageRow.id))
                .limit(limit)
            )
            return [
                (
                    row.id,
                    InboundMessage(
                        platform=row.platform,
                        chat_id=row.chat_id,
                        message_id=row.message_id,
                        sender_id=row.sender_id,
                        sender_name=row.sender_name,
                        text=row.text,
                        time=row.sent_at,
                        kind=MessageKind(row.kind),
                        reply_to=row.reply_to,
                        mentions=tuple(row.mentions.split()),
                    ),
                )
                for row in rows
                if row.id is not None
            ]

    def labelled_examples(self) -> Sequence[LabelledExample]:
        with Session(self.engine) as session:
            rows = session.exec(select(LabelledExampleRow).order_by(col(LabelledExampleRow.id)))
            return [
                LabelledExample(r.text, Triage(r.triage), r.category, r.urgent, r.source)
                for r in rows
            ]

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield SqlTransaction(session)

    def pending_outbox(
        self,
        *,
        now: datetime,
        platform: str,
        chats: Collection[str] | None = None,
        limit: int = 50,
    ) -> Sequence[OutboxItem]:
        query = select(OutboxRow).where(
            OutboxRow.status == "pending",
            col(OutboxRow.next_attempt_at) <= now,
            OutboxRow.platform == platform,
        )
        if chats is not None:
            # Private messages go to people, wherever they are; `chats` limits group posts.
            query = query.where(sa.or_(col(OutboxRow.chat_id).in_(chats), col(OutboxRow.direct)))
        with Session(self.engine) as session:
            rows = session.exec(query.order_by(col(OutboxRow.id)).limit(limit))
            return [
                OutboxItem(
                    id=row.id,
                    message=OutboundMessage(
                        platform=row.platform,
                        chat_id=row.chat_id,
                        text=row.text,
                        mentions=tuple(Mention(*pair) for pair in json.loads(row.mentions or "[]")),
                        reply_to=row.reply_to,
                        kind=MessageKind(row.kind),
                        dedupe_key=row.dedupe_key,
                        direct=row.direct,
                        image=row.image,
                    ),
                    attempts=row.attempts,
                    created_at=row.created_at,
                )
                for row in rows
                if row.id is not None
            ]

    def mark_sent(self, item_id: int, *, platform_message_id: str, at: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get_one(OutboxRow, item_id)
            row.status = "sent"
            row.attempts += 1
            row.sent_at = at
            row.platform_message_id = platform_message_id
            session.add(row)

    def sent_since(self, *, platform: str, chat_id: str, since: datetime) -> int:
        with Session(self.engine) as session:
            return session.exec(
                select(sa.func.count())
                .select_from(OutboxRow)
                .where(
                    OutboxRow.platform == platform,
                    OutboxRow.chat_id == chat_id,
                    OutboxRow.status == "sent",
                    col(OutboxRow.sent_at) >= since,
                )
            ).one()

    def defer(self, item_id: int, *, until: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get_one(OutboxRow, item_id)
            row.next_attempt_at = until
            session.add(row)

    def mark_failed(self, item_id: int, *, error: str, retry_at: datetime | None) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get_one(OutboxRow, item_id)
            row.attempts += 1
            row.last_error = error[:500]
            if retry_at is None:
                row.status = "failed"
            else:
                row.next_attempt_at = retry_at
            session.add(row)
