"""The transition table, every legal and illegal move, and what a move records."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.bootstrap import open_store
from bot.domain import Actor, Closure, Ticket, TicketState, Triage, Verdict
from bot.lifecycle import MOVES, Action, IllegalTransition, move, target
from tests.utils.builders import T0, message

S = TicketState
ACTIVE = {S.PENDING, S.OPEN, S.CLAIMED, S.IN_PROGRESS, S.ESCALATED, S.REFERRED}
WORKING = {S.CLAIMED, S.IN_PROGRESS, S.ESCALATED, S.REFERRED}

# What the closed loop allows, written out once more by hand: the table must say the same.
EXPECTED: dict[Action, dict[TicketState, TicketState]] = {
    Action.CONFIRMED: {S.PENDING: S.OPEN},
    Action.CLAIMED: {S.PENDING: S.CLAIMED, S.OPEN: S.CLAIMED} | {s: s for s in WORKING},
    Action.ASSIGNED: {S.PENDING: S.CLAIMED, S.OPEN: S.CLAIMED} | {s: s for s in WORKING},
    Action.NOTED: {
        S.OPEN: S.IN_PROGRESS,
        S.CLAIMED: S.IN_PROGRESS,
        S.IN_PROGRESS: S.IN_PROGRESS,
        S.ESCALATED: S.ESCALATED,
        S.REFERRED: S.REFERRED,
    },
    Action.REFERRED: {s: S.REFERRED for s in (S.PENDING, S.OPEN, S.CLAIMED, S.IN_PROGRESS)},
    Action.ESCALATED: {s: S.ESCALATED for s in ACTIVE - {S.REFERRED}},
    Action.RECLASSIFIED: {S.PENDING: S.OPEN} | {s: s for s in ACTIVE - {S.PENDING}},
    Action.DISMISSED: {s: S.DISMISSED for s in ACTIVE},
    Action.RESOLVED: {s: S.RESOLVED for s in ACTIVE},
    Action.RATED: {S.RESOLVED: S.CLOSED, S.CLOSED: S.CLOSED},
    Action.RATED_LOW: {S.RESOLVED: S.OPEN, S.CLOSED: S.OPEN},
    Action.EXPIRED: {S.RESOLVED: S.CLOSED},
    Action.REOPENED: {S.RESOLVED: S.OPEN, S.CLOSED: S.OPEN},
    Action.MERGED: {s: S.MERGED for s in ACTIVE},
    Action.CANCELLED: {s: S.CANCELLED for s in ACTIVE},
    Action.JOINED: {s: s for s in ACTIVE},
    Action.REMINDED: {s: s for s in ACTIVE},
    Action.SUPERVISED: {s: s for s in ACTIVE},
    Action.SPLIT: {S.MERGED: S.OPEN},
    Action.SPLIT_OFF: {s: s for s in S},
    Action.LEFT: {s: s for s in ACTIVE},
}


def a_ticket(state: TicketState, **fields: object) -> Ticket:
    return replace(
        Ticket(
            id=1,
            number=7,
            street="s",
            grid_id="g1",
            platform="console",
            chat_id="chat-1",
            state=state,
            triage=Triage.MINOR,
            category="物业设施",
            urgent=False,
            confidence=0.9,
            summary="3栋电梯坏了",
            reasons=(),
            created_at=T0,
            updated_at=T0,
            resolved_at=None,
            reporters=(),
        ),
        **fields,
    )


CASES = [(action, state) for action in Action if action is not Action.OPENED for state in S]


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-{s}" for a, s in CASES])
def test_every_action_in_every_state(action: Action, state: TicketState) -> None:
    expected = EXPECTED[action].get(state)
    ticket = a_ticket(state, merged_into=3 if state is S.MERGED else None)
    if expected is None:
        with pytest.raises(IllegalTransition) as refused:
            target(ticket, action)
        reason = str(refused.value)
        assert reason.startswith("工单 #7 ") and "不能" in reason
    else:
        assert target(ticket, action) is expected


def test_the_table_is_the_one_written_out() -> None:
    assert {a: dict(m) for a, m in MOVES.items()} == EXPECTED


@pytest.mark.parametrize(
    ("state", "action", "hint"),
    [
        (S.PENDING, Action.NOTED, "/confirm 7"),
        (S.RESOLVED, Action.RESOLVED, "/reopen 7"),
        (S.CLOSED, Action.NOTED, "/reopen 7"),
        (S.MERGED, Action.RESOLVED, "并入 #3"),
    ],
)
def test_a_refusal_says_what_to_do_instead(state: TicketState, action: Action, hint: str) -> None:
    with pytest.raises(IllegalTransition, match=hint):
        target(a_ticket(state, merged_into=3), action)


def test_a_move_is_stored_with_its_audit_event(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    inbound = message("3栋电梯坏了", sender="r1", name="李师傅", time=T0)
    verdict = Verdict(Triage.MINOR, "物业设施", False, 0.9, ())
    worker = Actor("w1", "网格员小王")
    with store.transaction() as tx:
        tx.record_message(inbound, grid_id="g1")
        ticket = tx.open_ticket(
            street="s", grid_id="g1", message=inbound, verdict=verdict, summary="电梯"
        )
        ticket = move(
            tx,
            ticket,
            Action.CLAIMED,
            actor=worker,
            at=T0 + timedelta(minutes=5),
            assignee_id="w1",
            assignee_name="网格员小王",
        )
        ticket = move(
            tx, ticket, Action.RESOLVED, actor=worker, at=T0 + timedelta(hours=2), note="换了接触器"
        )
        ticket = move(
            tx, ticket, Action.REOPENED, actor=worker, at=T0 + timedelta(hours=3), note="又坏了"
        )
    with store.transaction() as tx:
        stored = tx.get_ticket("s", ticket.number)
        events = tx.events(ticket.id)
    assert stored is not None
    assert stored.state is S.OPEN and stored.reopened == 1
    assert stored.assignee_name == "网格员小王"
    assert stored.responded_at == T0 + timedelta(minutes=5)  # the first response counts
    assert stored.resolved_at is None and stored.closure is Closure.NONE
    assert [(e.action, e.from_state, e.to_state, e.actor_id, e.note) for e in events] == [
        ("opened", None, S.OPEN, "r1", "minor/物业设施 confidence 0.90"),
        ("claimed", S.OPEN, S.CLAIMED, "w1", ""),
        ("resolved", S.CLAIMED, S.RESOLVED, "w1", "换了接触器"),
        ("reopened", S.RESOLVED, S.OPEN, "w1", "又坏了"),
    ]


def test_an_illegal_move_changes_nothing(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    inbound = message("路灯坏了", time=T0)
    with store.transaction() as tx:
        tx.record_message(inbound, grid_id="g1")
        ticket = tx.open_ticket(
            street="s",
            grid_id="g1",
            message=inbound,
            verdict=Verdict(Triage.MAJOR, "市政设施", False, 0.9, ()),
            summary="路灯",
        )
    with pytest.raises(IllegalTransition), store.transaction() as tx:
        move(tx, ticket, Action.RATED, actor=Actor("r1", "r1"), at=T0)
    with store.transaction() as tx:
        assert [e.action for e in tx.events(ticket.id)] == ["opened"]
        stored = tx.get_ticket("s", ticket.number)
    assert stored is not None and stored.state is S.OPEN
