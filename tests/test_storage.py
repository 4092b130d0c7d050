"""The SQL store on SQLite and (when configured) PostgreSQL: schema, log, tickets, events, outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from bot.bootstrap import open_store
from bot.domain import Actor, TicketState, Triage, Verdict
from bot.lifecycle import Action, move
from bot.messages import Mention, OutboundMessage
from storage import DatabaseError, SqlStore, make_engine, migrate
from storage.store import SqlTransaction
from tests.utils.builders import T0, message

VERDICT = Verdict(Triage.MINOR, "物业设施", False, 0.9, ("电梯", "坏了"))


@pytest.fixture
def store(database_url: str) -> SqlStore:
    return open_store(database_url)


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # a second start finds nothing to do
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_an_unreachable_database_says_what_to_check() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:9/none")
    with pytest.raises(DatabaseError, match=r"cannot open the database .*\(check database.url"):
        migrate(engine)


def test_a_redelivered_message_is_recognised(store: SqlStore) -> None:
    inbound = message("电梯坏了", message_id="dup")
    with store.transaction() as tx:
        row = tx.record_message(inbound, grid_id="g1")
    assert row is not None
    # Stored but not yet processed (a crash in between): the redelivery gets the same row.
    with store.transaction() as tx:
        assert tx.record_message(inbound, grid_id="g1") == row
    assert [r for r, _ in store.unprocessed_messages()] == [row]
    with store.transaction() as tx:
        assert tx.claim_message(row)
        assert not tx.claim_message(row)
    # Once processed, a redelivery is recognised and ignored.
    with store.transaction() as tx:
        assert tx.record_message(inbound, grid_id="g1") is None
    assert store.unprocessed_messages() == []
    # The same id in another chat is another message.
    with store.transaction() as tx:
        assert tx.record_message(message("x", message_id="dup", chat="other"), grid_id=None)


def test_ticket_numbers_are_short_and_unique_per_street(store: SqlStore) -> None:
    numbers = []
    with store.transaction() as tx:
        for street in ("甲街道", "甲街道", "乙街道", "甲街道"):
            inbound = message("电梯坏了")
            tx.record_message(inbound, grid_id="g1")
            ticket = tx.open_ticket(
                street=street, grid_id="g1", message=inbound, verdict=VERDICT, summary="电梯坏了"
            )
            numbers.append((street, ticket.number))
    assert numbers == [("甲街道", 1), ("甲街道", 2), ("乙街道", 1), ("甲街道", 3)]


def test_a_rolled_back_transaction_leaves_nothing(store: SqlStore) -> None:
    inbound = message("电梯坏了")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.record_message(inbound, grid_id="g1")
        tx.open_ticket(street="s", grid_id="g1", message=inbound, verdict=VERDICT, summary="x")
        raise RuntimeError("boom")
    with store.transaction() as tx:
        assert tx.list_tickets(street="s") == []
        assert tx.record_message(inbound, grid_id="g1") is not None
        ticket = tx.open_ticket(
            street="s", grid_id="g1", message=inbound, verdict=VERDICT, summary="x"
        )
    assert ticket.number == 1


def test_tickets_keep_reporters_events_and_aware_times(store: SqlStore) -> None:
    local = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    inbound = message("3栋电梯坏了", sender="r1", name="李师傅", time=local)
    with store.transaction() as tx:
        tx.record_message(inbound, grid_id="g1")
        opened = tx.open_ticket(
            street="s", grid_id="g1", message=inbound, verdict=VERDICT, summary="3栋电梯坏了"
        )
    with store.transaction() as tx:
        move(
            tx,
            opened,
            Action.RESOLVED,
            actor=Actor("w1", "网格员小王"),
            note="修好了",
            at=local + timedelta(hours=2),
        )
    with store.transaction() as tx:
        ticket = tx.get_ticket("s", 1)
        events = tx.events(opened.id)
        assert tx.get_ticket("s", 2) is None
    assert ticket is not None
    assert ticket.created_at == local and ticket.created_at.tzinfo is not None
    assert ticket.resolved_at == local + timedelta(hours=2)
    assert ticket.reasons == ("电梯", "坏了") and ticket.triage is Triage.MINOR
    assert [(r.user_id, r.name) for r in ticket.reporters] == [("r1", "李师傅")]
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("opened", None, TicketState.OPEN),
        ("resolved", TicketState.OPEN, TicketState.RESOLVED),
    ]


def test_list_tickets_filters_by_grid_and_state(store: SqlStore) -> None:
    with store.transaction() as tx:
        for grid in ("g1", "g2", "g1"):
            inbound = message("电梯坏了")
            tx.record_message(inbound, grid_id=grid)
            opened = tx.open_ticket(
                street="s", grid_id=grid, message=inbound, verdict=VERDICT, summary="x"
            )
            if opened.number == 1:
                move(tx, opened, Action.RESOLVED, actor=Actor("w", "w"), at=T0)
    with store.transaction() as tx:
        assert [t.number for t in tx.list_tickets(street="s", grid_id="g1")] == [1, 3]
        open_ = tx.list_tickets(street="s", states=[TicketState.OPEN])
        assert [t.number for t in open_] == [2, 3]


def test_ticket_texts_are_the_opening_messages_whole_for_many_tickets(store: SqlStore) -> None:
    count = 1_005  # more than one IN (…) of ids
    with store.transaction() as tx:
        ids = []
        for n in range(count):
            inbound = message(f"{n}号车位被占了，" + "占了好几天" * 20)
            tx.record_message(inbound, grid_id="g1")
            opened = tx.open_ticket(
                street="s", grid_id="g1", message=inbound, verdict=VERDICT, summary=f"摘要{n}"
            )
            ids.append(opened.id)
    with store.transaction() as tx:
        texts = tx.ticket_texts(ids)
        assert len(texts) == count
        assert texts[ids[-1]] == f"{count - 1}号车位被占了，" + "占了好几天" * 20
        assert tx.ticket_text(ids[0]) == texts[ids[0]]
        assert len(tx.list_tickets(street="s")) == count


def test_naive_times_are_refused(store: SqlStore) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), store.transaction() as tx:
        tx.record_message(message("x", time=datetime(2026, 1, 1)), grid_id=None)


def test_outbox_delivers_once_and_backs_off(store: SqlStore) -> None:
    out = OutboundMessage(
        platform="console", chat_id="c", text="你好", mentions=(Mention("r1", "李师傅"),)
    )
    with store.transaction() as tx:
        first = tx.enqueue(out, at=T0)
        keyed = tx.enqueue(
            OutboundMessage("console", "c", "日报", dedupe_key="g1/digest/1123"), at=T0
        )
        assert (
            tx.enqueue(OutboundMessage("console", "c", "日报", dedupe_key="g1/digest/1123"), at=T0)
            is None
        )
    assert first is not None and keyed is not None

    due = store.pending_outbox(now=T0, platform="console")
    assert [item.id for item in due] == [first, keyed]
    assert due[0].message.mentions == (Mention("r1", "李师傅"),)
    assert store.pending_outbox(now=T0, platform="telegram") == []

    store.mark_failed(first, error="platform down", retry_at=T0 + timedelta(seconds=4))
    store.mark_sent(keyed, platform_message_id="p-1", at=T0)
    assert store.pending_outbox(now=T0, platform="console") == []
    [retry] = store.pending_outbox(now=T0 + timedelta(seconds=5), platform="console")
    assert (retry.id, retry.attempts) == (first, 1)

    store.mark_failed(first, error="bad chat id", retry_at=None)
    assert store.pending_outbox(now=T0 + timedelta(days=1), platform="console") == []


def test_store_times_come_back_in_utc(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.enqueue(
            OutboundMessage("console", "c", "x"), at=T0.astimezone(ZoneInfo("Asia/Shanghai"))
        )
    [item] = store.pending_outbox(now=T0, platform="console")
    assert item.created_at == T0 and item.created_at.tzinfo == UTC


def test_a_race_on_the_same_message_leaves_it_to_whoever_claims_it(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbound = message("电梯坏了", message_id="race")
    with store.transaction() as tx:
        first = tx.record_message(inbound, grid_id=None)
    # Another process stored it between our check and our insert.
    monkeypatch.setattr(SqlTransaction, "_seen", lambda self, message: None)
    with store.transaction() as tx:
        assert tx.record_message(inbound, grid_id=None) == first
        tx.enqueue(OutboundMessage("console", "c", "the transaction goes on"), at=T0)
    assert len(store.pending_outbox(now=T0, platform="console")) == 1
