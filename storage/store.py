"""The SQL ticket store: the core's `Store` port over SQLModel sessions."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain import (
    LabelledExample,
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
    StreetCounter,
    TicketEventRow,
    TicketReporterRow,
    TicketRow,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _ticket(row: TicketRow, reporters: Sequence[TicketReporterRow]) -> Ticket:
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
            Reporter(platform=r.platform, user_id=r.user_id, name=r.name, joined_at=r.joined_at)
            for r in sorted(reporters, key=lambda r: (r.joined_at, r.id or 0))
        ),
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

    def record_message(self, message: InboundMessage, *, grid_id: str | None) -> int | None:
        if self._message_row(message) is not None:
            return None
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
            # Another process stored the same message a moment ago: a redelivery after all.
            return None
        return row.id

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
            row.id,
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
        return _ticket(row, [reporter])

    def _reporters(self, ticket_ids: Sequence[int]) -> dict[int, list[TicketReporterRow]]:
        found: dict[int, list[TicketReporterRow]] = {i: [] for i in ticket_ids}
        if ticket_ids:
            rows = self._session.exec(
                select(TicketReporterRow).where(col(TicketReporterRow.ticket_id).in_(ticket_ids))
            )
            for reporter in rows:
                found[reporter.ticket_id].append(reporter)
        return found

    def get_ticket(self, street: str, number: int) -> Ticket | None:
        row = self._session.exec(
            select(TicketRow).where(TicketRow.street == street, TicketRow.number == number)
        ).first()
        if row is None or row.id is None:
            return None
        return _ticket(row, self._reporters([row.id])[row.id])

    def list_tickets(
        self,
        *,
        street: str,
        grid_id: str | None = None,
        states: Iterable[TicketState] | None = None,
    ) -> Sequence[Ticket]:
        query = select(TicketRow).where(TicketRow.street == street)
        if grid_id is not None:
            query = query.where(TicketRow.grid_id == grid_id)
        if states is not None:
            query = query.where(col(TicketRow.state).in_([s.value for s in states]))
        rows = list(self._session.exec(query.order_by(col(TicketRow.number))))
        reporters = self._reporters([r.id for r in rows if r.id is not None])
        return [_ticket(r, reporters[r.id]) for r in rows if r.id is not None]

    def change_state(
        self,
        ticket_id: int,
        *,
        to: TicketState,
        actor_id: str,
        actor_name: str,
        action: str,
        note: str,
        at: datetime,
    ) -> Ticket:
        row = self._session.get_one(TicketRow, ticket_id)
        before = TicketState(row.state)
        row.state = to.value
        row.updated_at = at
        if to is TicketState.RESOLVED:
            row.resolved_at = at
        self._session.add(row)
        self._add_event(
            ticket_id,
            at=at,
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            from_state=before,
            to_state=to,
            note=note,
        )
        self._session.flush()
        return _ticket(row, self._reporters([ticket_id])[ticket_id])

    def reclassify(
        self,
        ticket_id: int,
        *,
        triage: Triage,
        category: str,
        to: TicketState,
        actor_id: str,
        actor_name: str,
        at: datetime,
    ) -> Ticket:
        row = self._session.get_one(TicketRow, ticket_id)
        note = f"{row.triage}/{row.category} → {triage.value}/{category}"
        row.triage, row.category = triage.value, category
        return self.change_state(
            ticket_id,
            to=to,
            actor_id=actor_id,
            actor_name=actor_name,
            action="reclassified",
            note=note,
            at=at,
        )

    def ticket_text(self, ticket_id: int) -> str:
        row = self._session.get_one(TicketRow, ticket_id)
        if row.source_message_id is None:
            return row.summary
        return self._session.get_one(MessageRow, row.source_message_id).text

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

    def _add_event(
        self,
        ticket_id: int,
        *,
        at: datetime,
        actor_id: str,
        actor_name: str,
        action: str,
        from_state: TicketState | None,
        to_state: TicketState | None,
        note: str,
    ) -> None:
        self._session.add(
            TicketEventRow(
                ticket_id=ticket_id,
                at=at,
                actor_id=actor_id,
                actor_name=actor_name,
                action=action,
                from_state=from_state.value if from_state else None,
                to_state=to_state.value if to_state else None,
                note=note,
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
            created_at=at,
            next_attempt_at=at,
        )
        self._session.add(row)
        self._session.flush()
        return row.id


class SqlStore:
    """The ticket store on an SQLAlchemy engine; see `bot.ports.Store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
            query = query.where(col(OutboxRow.chat_id).in_(chats))
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
