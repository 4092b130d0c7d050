"""One problem, one ticket: repeated reports join the open ticket they repeat (附议).

A full report that repeats an open ticket of the grid (the same place, and the same problem
by the duplicate model, which also weighs whether the categories agree) still gets a ticket of
its own, merged into the first at once: the merge is audited like a gridworker's `/merge` and
`/split` undoes it. A short follow-up ("+1", "我家也是",
"同问", "楼上说的对") joins the ticket of the message it replies to, quotes, or closely
follows; with no such context it is chatter.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timedelta

from bot.domain import ACTIVE_STATES, READ_LIMIT, Ticket, Triage, Verdict
from bot.lifecycle import Action, move
from bot.messages import Mention
from bot.pipeline import Context
from bot.ports import Classifier, DuplicateFinder, StoreTransaction

_LOGGER = logging.getLogger(__name__)

FOLLOW_UP = re.compile(
    r"^(?:\+\s*1|＋1|1\s*\+|同问|同求|同上|附议|顶|我也是|我家也是|我们家也是|我们这也是|我这也是|"
    r"我们也是|俺家也是|我屋头也是|我屋里也是|我们楼也是|我们单元也是|一样|同样|我也一样|"
    r"我家也一样|楼上说的对|楼上说得对|楼上正解|加一|\+1\s*\+1)"
    r"[\s!！。.~～,，+1]*$"
)
# Changes are stamped with their message's time, which may lag: look back this far again.
RECHECK = timedelta(hours=1)


class Duplicates:
    """Keeps the finder in step with the store and joins repeated reports to their ticket.

    `follow_window` is how long a "+1" refers to the chat's last ticket; `near_copy` how sure
    the model must be for a message the classifier takes for chatter or a private matter
    (停电了？我家全黑了) to join one (config `duplicates.follow_minutes`, `near_copy`).
    """

    def __init__(
        self,
        finder: DuplicateFinder,
        classifier: Classifier,
        *,
        follow_window: timedelta,
        near_copy: float,
    ) -> None:
        self._finder = finder
        self._classifier = classifier
        self._follow_window = follow_window
        self._near_copy = near_copy
        self._seen: dict[str, int] = {}  # street → highest ticket row id indexed
        self._changed: dict[str, datetime] = {}  # street → latest change indexed
        self._lock = threading.Lock()

    def sync(self, tx: StoreTransaction, street: str) -> None:
        """Index the open tickets opened since the last look (by any process sharing the
        store), and again those changed lately (reopened, split off, reclassified); the first
        look takes every open ticket."""
        with self._lock:
            fresh = list(
                tx.list_tickets(
                    street=street, after_id=self._seen.get(street), states=ACTIVE_STATES
                )
            )
            changed = self._changed.get(street)
            if changed is not None:
                fresh += tx.list_tickets(
                    street=street, changed_since=changed - RECHECK, states=ACTIVE_STATES
                )
            # A private matter belongs to one household: nobody else joins it.
            joinable = [t for t in fresh if t.triage.is_appeal and t.triage is not Triage.PRIVATE]
            # Read as the new report is read: the message's head, not the summary made for lists.
            texts = tx.ticket_texts([t.id for t in joinable])
            for ticket in joinable:
                self._finder.add(
                    ticket.id,
                    ticket.grid_id,
                    ticket.category,
                    texts[ticket.id][:READ_LIMIT],
                    ticket.created_at,
                )
            for ticket in fresh:
                self._seen[street] = max(self._seen.get(street, 0), ticket.id)
                latest = self._changed.get(street, ticket.updated_at)
                self._changed[street] = max(latest, ticket.updated_at)

    def original(self, ctx: Context, verdict: Verdict, text: str) -> Ticket | None:
        """The open ticket of this grid that `text` repeats, if any (never a private matter).

        A resident's message the classifier takes for chatter or a private matter repeats one
        only when the model is `near_copy` sure: the classifier missed an appeal, or read a
        household's word of an outage the whole grid has (停电了？我家全黑了).
        """
        appeal = verdict.triage.is_appeal and verdict.triage is not Triage.PRIVATE
        if not appeal and ctx.role.is_staff:
            return None
        least = 0.0 if appeal else self._near_copy
        self.sync(ctx.tx, ctx.street)
        for ticket_id, score in self._finder.match(
            ctx.grid.id, verdict.category, text, ctx.message.time
        ):
            if score < least:
                break  # best first: none sure enough
            ticket = ctx.tx.ticket_by_id(ticket_id)
            if ticket is None or not _joinable(ticket, ctx):
                self._finder.remove(ticket_id)  # closed or merged since
                continue
            _LOGGER.info("%s repeats %s (score %.0f)", ctx.message.message_id, ticket.label, score)
            return ticket
        return None

    def merge_new(self, ctx: Context, new: Ticket, original: Ticket) -> Ticket:
        """Merge a just-opened ticket into the one it repeats; returns the original."""
        move(
            ctx.tx,
            new,
            Action.MERGED,
            actor=ctx.actor,
            at=ctx.message.time,
            note=f"与 {original.label} 是同一件事，自动并入",
            merged_into=original.number,
        )
        ctx.tx.add_reporter(original.id, ctx.reporter(via=new.id))
        return move(
            ctx.tx,
            original,
            Action.JOINED,
            actor=ctx.actor,
            at=ctx.message.time,
            note=f"{new.label} 并入（{ctx.message.sender_name}）",
            urgent=original.urgent or new.urgent,
        )

    def follow_ups(self, ctx: Context) -> bool:
        """The pipeline stage for short follow-ups ("+1", "我家也是" …) from residents."""
        if ctx.role.is_staff or not FOLLOW_UP.match(_bare(ctx.message.text)):
            return False
        ticket = self._context_ticket(ctx)
        if ticket is None:
            _LOGGER.debug("follow-up without context from %s: chatter", ctx.message.sender_id)
            return True
        added = ctx.tx.add_reporter(ticket.id, ctx.reporter())
        ctx.ticket_id = ticket.id
        if not added:
            ctx.reply(f"您已经在关注 {ticket.label} 了，有进展会告诉您。")
            return True
        ticket = move(
            ctx.tx,
            ticket,
            Action.JOINED,
            actor=ctx.actor,
            at=ctx.message.time,
            note=f"附议（{ctx.message.sender_name}）",
        )
        ctx.reply(
            f"记下了，您也反映了 {ticket.label}（共{ticket.reports}位居民反映），"
            "有进展会一起告诉您。",
            mentions=[Mention(ctx.message.sender_id, ctx.message.sender_name)],
        )
        return True

    def _context_ticket(self, ctx: Context) -> Ticket | None:
        """The open ticket a follow-up is about: the message it replies to, the text it
        quotes, or the ticket this chat talked about in the last few minutes."""
        message = ctx.message
        candidates: list[int | None] = []
        if message.reply_to:
            candidates.append(
                ctx.tx.ticket_of_message(message.platform, message.chat_id, message.reply_to)
            )
        quoted = self._finder.quote(message.text)
        if quoted:
            verdict = self._classifier.classify(quoted)
            if verdict.triage.is_appeal:
                self.sync(ctx.tx, ctx.street)
                candidates += [
                    t
                    for t, _ in self._finder.match(
                        ctx.grid.id, verdict.category, quoted, message.time
                    )
                ]
        candidates.append(
            ctx.tx.latest_ticket_in_chat(
                message.platform, message.chat_id, since=message.time - self._follow_window
            )
        )
        for ticket_id in candidates:
            if ticket_id is None:
                continue
            ticket = ctx.tx.ticket_by_id(ticket_id)
            if ticket is not None and ticket.merged_into:
                ticket = ctx.tx.get_ticket(ctx.street, ticket.merged_into)
            if ticket is not None and _joinable(ticket, ctx):
                return ticket
        return None


def _joinable(ticket: Ticket, ctx: Context) -> bool:
    """Open, of this grid, and not a private matter (those belong to one household)."""
    return ticket.active and ticket.grid_id == ctx.grid.id and ticket.triage is not Triage.PRIVATE


def _bare(text: str) -> str:
    """The text without @mentions, quotes' markers and emoji, for the follow-up pattern."""
    text = re.sub(r"@\S+\s?", "", text)
    text = re.sub(r"「[^」]*」\s*(?:[-－—]\s*){3,}", "", text)
    text = re.sub(r"[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]", "", text)
    return text.strip()


def joined_reply(ticket: Ticket, new: Ticket) -> str:
    """What the resident is told when their report joined an open ticket; the gridworkers
    read how to undo it, should the match be wrong."""
    return (
        f"收到，这和工单 {ticket.label} 是同一件事，已并入 {ticket.label}"
        f"（共{ticket.reports}位居民反映），进展会一起告诉您。"
        f"（若不是同一件事，网格员发 /split {new.number} 即可拆开）"
    )
