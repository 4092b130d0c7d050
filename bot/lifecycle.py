"""The ticket lifecycle: the one table of legal transitions, and the one function that moves a
ticket and writes its audit event.

受理 (open, or 待确认 while the classifier was unsure) → 签收 (claimed) → 办理 (in progress) →
办结 (resolved) → 回访 (closed after the return visit); with 上报 (escalated), 私事引导
(referred), 合并 (merged), 撤销 (cancelled by the reporter), 非诉求 (dismissed) and 重办 (reopened).
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain import (
    ACTIVE_STATES,
    STATE_WORDS,
    Actor,
    Closure,
    Ticket,
    TicketEvent,
    TicketState,
)
from bot.ports import StoreTransaction

S = TicketState


class Action(enum.StrEnum):
    """What can happen to a ticket; each is one kind of audit event."""

    OPENED = "opened"
    CONFIRMED = "confirmed"
    CLAIMED = "claimed"
    ASSIGNED = "assigned"
    NOTED = "noted"
    REFERRED = "referred"
    ESCALATED = "escalated"
    RECLASSIFIED = "reclassified"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"
    RATED = "rated"
    RATED_LOW = "rated_low"
    EXPIRED = "expired"
    REOPENED = "reopened"
    MERGED = "merged"
    CANCELLED = "cancelled"
    JOINED = "joined"
    REMINDED = "reminded"
    SUPERVISED = "supervised"
    SPLIT = "split"
    SPLIT_OFF = "split_off"
    LEFT = "left"


ACTION_WORDS: dict[Action, str] = {
    Action.OPENED: "受理",
    Action.CONFIRMED: "确认",
    Action.CLAIMED: "签收",
    Action.ASSIGNED: "派单",
    Action.NOTED: "记录进展",
    Action.REFERRED: "引导",
    Action.ESCALATED: "上报",
    Action.RECLASSIFIED: "改分类",
    Action.DISMISSED: "撤销",
    Action.RESOLVED: "办结",
    Action.RATED: "评价",
    Action.RATED_LOW: "评价",
    Action.EXPIRED: "关闭",
    Action.REOPENED: "重办",
    Action.MERGED: "合并",
    Action.CANCELLED: "撤销",
    Action.JOINED: "附议",
    Action.REMINDED: "催办",
    Action.SUPERVISED: "督办",
    Action.SPLIT: "拆分",
    Action.SPLIT_OFF: "拆分",
    Action.LEFT: "取消关注",
}

_WORKING = (S.CLAIMED, S.IN_PROGRESS, S.ESCALATED, S.REFERRED)


def _stay(states: tuple[TicketState, ...]) -> dict[TicketState, TicketState]:
    return {state: state for state in states}


# The only place that says which action may move a ticket from which state, and where to.
MOVES: dict[Action, dict[TicketState, TicketState]] = {
    Action.CONFIRMED: {S.PENDING: S.OPEN},
    Action.CLAIMED: {S.PENDING: S.CLAIMED, S.OPEN: S.CLAIMED} | _stay(_WORKING),
    Action.ASSIGNED: {S.PENDING: S.CLAIMED, S.OPEN: S.CLAIMED} | _stay(_WORKING),
    Action.NOTED: {S.OPEN: S.IN_PROGRESS, S.CLAIMED: S.IN_PROGRESS}
    | _stay((S.IN_PROGRESS, S.ESCALATED, S.REFERRED)),
    Action.REFERRED: {s: S.REFERRED for s in (S.PENDING, S.OPEN, S.CLAIMED, S.IN_PROGRESS)},
    Action.ESCALATED: {
        s: S.ESCALATED for s in (S.PENDING, S.OPEN, S.CLAIMED, S.IN_PROGRESS, S.ESCALATED)
    },
    Action.RECLASSIFIED: {S.PENDING: S.OPEN} | _stay(ACTIVE_STATES[1:]),
    Action.DISMISSED: {s: S.DISMISSED for s in ACTIVE_STATES},
    Action.RESOLVED: {s: S.RESOLVED for s in ACTIVE_STATES},
    Action.RATED: {S.RESOLVED: S.CLOSED, S.CLOSED: S.CLOSED},
    Action.RATED_LOW: {S.RESOLVED: S.OPEN, S.CLOSED: S.OPEN},
    Action.EXPIRED: {S.RESOLVED: S.CLOSED},
    Action.REOPENED: {S.RESOLVED: S.OPEN, S.CLOSED: S.OPEN},
    Action.MERGED: {s: S.MERGED for s in ACTIVE_STATES},
    Action.CANCELLED: {s: S.CANCELLED for s in ACTIVE_STATES},
    Action.JOINED: _stay(ACTIVE_STATES),
    Action.REMINDED: _stay(ACTIVE_STATES),
    Action.SUPERVISED: _stay(ACTIVE_STATES),
    Action.SPLIT: {S.MERGED: S.OPEN},
    Action.SPLIT_OFF: _stay(tuple(S)),
    Action.LEFT: _stay(ACTIVE_STATES),
}


class IllegalTransition(Exception):
    """The action cannot be taken in the ticket's state; the message says why and what to do."""


def refusal(ticket: Ticket, action: Action) -> str:
    """Why `action` cannot be taken on `ticket` now, in one line for the chat."""
    state = ticket.state
    text = f"工单 {ticket.label} {STATE_WORDS[state]}，不能{ACTION_WORDS[action]}。"
    if state is S.PENDING:
        return text + f"请先 /confirm {ticket.number} 确认分类。"
    if state in (S.RESOLVED, S.CLOSED) and action is not Action.REOPENED:
        return text + f"问题没解决的话，请用 /reopen {ticket.number} 重新办理。"
    if state is S.MERGED and ticket.merged_into:
        return text + f"它已并入 #{ticket.merged_into}，请处理那一件。"
    return text


def target(ticket: Ticket, action: Action) -> TicketState:
    """The state `action` moves `ticket` to.

    Raises:
        IllegalTransition: the action is not allowed in the ticket's state.
    """
    to = MOVES[action].get(ticket.state)
    if to is None:
        raise IllegalTransition(refusal(ticket, action))
    return to


BOT = Actor("gridbot", "网格助手")


def move(
    tx: StoreTransaction,
    ticket: Ticket,
    action: Action,
    *,
    actor: Actor,
    at: datetime,
    note: str = "",
    **changes: Any,
) -> Ticket:
    """Take `action` on `ticket`: check the transition, apply `changes` (ticket fields), write
    the audit event (actor, time, from → to, note) and return the stored ticket.

    Raises:
        IllegalTransition: the action is not allowed in the ticket's state.
    """
    to = target(ticket, action)
    if to is S.RESOLVED:
        changes.setdefault("resolved_at", at)
    if to is S.CLOSED and ticket.state is not S.CLOSED:
        changes.setdefault("closed_at", at)
    if to is S.OPEN and ticket.state in (S.RESOLVED, S.CLOSED):
        changes.update(resolved_at=None, closed_at=None, closure=Closure.NONE)
        changes["reopened"] = ticket.reopened + 1
    if ticket.responded_at is None and action in _RESPONSES and actor != BOT:
        changes.setdefault("responded_at", at)
    updated = replace(ticket, state=to, updated_at=at, **changes)
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action.value,
        from_state=ticket.state,
        to_state=to,
        note=note,
    )
    return tx.update_ticket(updated, event)


# A gridworker has responded (响应) once they confirm, claim, note, refer, escalate or resolve.
_RESPONSES = frozenset(
    {
        Action.CONFIRMED,
        Action.CLAIMED,
        Action.ASSIGNED,
        Action.NOTED,
        Action.REFERRED,
        Action.ESCALATED,
        Action.RESOLVED,
        Action.DISMISSED,
    }
)
