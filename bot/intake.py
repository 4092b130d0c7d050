"""Intake (受理): classify a resident's message and open a ticket for an appeal."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from bot import tell
from bot.config import Templates
from bot.domain import READ_LIMIT, TRIAGE_WORDS, Role, Ticket, TicketState, Triage
from bot.duplicates import Duplicates, joined_reply
from bot.messages import Mention
from bot.pipeline import Context
from bot.ports import Classifier
from bot.privacy import mask_pii
from bot.sla import deadlines

_LOGGER = logging.getLogger(__name__)

SUMMARY_LIMIT = 60
_SPACE = re.compile(r"\s+")


def summarise(text: str) -> str:
    """A one-line summary of an appeal for lists and digests."""
    # Masked before it is cut: a number split by the cut would no longer look like one.
    line = mask_pii(_SPACE.sub(" ", text).strip())
    return line if len(line) <= SUMMARY_LIMIT else line[: SUMMARY_LIMIT - 1] + "…"


def confirmation(templates: Templates, ticket: Ticket) -> str:
    """The one short message that confirms a new ticket in the group."""
    if ticket.state is TicketState.PENDING:
        return templates.confirm_pending.format(
            ticket=ticket.label,
            number=ticket.number,
            guess=f"{TRIAGE_WORDS[ticket.triage]}·{ticket.category}",
            triage=ticket.triage.value,
            category=ticket.category,
            urgent_mark=templates.urgent_mark if ticket.urgent else "",
        )
    template = {
        Triage.MAJOR: templates.confirm_major,
        Triage.MINOR: templates.confirm_minor,
        Triage.PRIVATE: templates.confirm_private,
    }[ticket.triage]
    return template.format(
        ticket=ticket.label,
        category=ticket.category,
        urgent_mark=templates.urgent_mark if ticket.urgent else "",
    )


def staff_speak_freely(ctx: Context) -> bool:
    """Gridworkers' own messages are notices and answers, not appeals: they use commands."""
    return ctx.role.is_staff


class Intake:
    """The stage that turns a resident's appeal into a ticket and stays silent on chatter."""

    def __init__(
        self,
        classifier: Classifier,
        confidence_threshold: float,
        duplicates: Duplicates | None = None,
    ) -> None:
        self._classifier = classifier
        self._threshold = confidence_threshold
        self._duplicates = duplicates

    def __call__(self, ctx: Context) -> bool:
        message = ctx.message
        verdict = self._classifier.classify(message.text[:READ_LIMIT])
        # A repeat joins the open ticket it repeats, an unsure one too: the match vouches for it
        # (the ticket it joins was confirmed, or waits for a gridworker's word itself).
        original = (
            self._duplicates.original(ctx, verdict, message.text[:READ_LIMIT])
            if self._duplicates is not None
            else None
        )
        if original is not None and (
            not verdict.triage.is_appeal or verdict.triage is Triage.PRIVATE
        ):
            # taken for chatter or a household's matter, but a near copy of an open ticket
            verdict = replace(
                verdict,
                triage=original.triage,
                category=original.category,
                reasons=(*verdict.reasons, f"几乎重复 {original.label}"),
            )
        elif not verdict.triage.is_appeal:
            _LOGGER.debug("chatter from %s: %s", message.sender_id, verdict.reasons)
            return True
        # Low confidence is said, not hidden: the ticket waits for a gridworker's word.
        unsure = verdict.confidence < self._threshold
        due = deadlines(
            triage=verdict.triage,
            urgent=verdict.urgent,
            opened_at=message.time,
            sla=ctx.grid.sla,
            zone=ctx.zone,
        )
        ticket = ctx.tx.open_ticket(
            street=ctx.street,
            grid_id=ctx.grid.id,
            message=message,
            verdict=verdict,
            summary=summarise(message.text),
            state=TicketState.PENDING if unsure else TicketState.OPEN,
            respond_by=due.respond_by,
            resolve_by=due.resolve_by,
        )
        ctx.ticket_id = ticket.id
        if original is not None and self._duplicates is not None:
            was_urgent = original.urgent
            original = self._duplicates.merge_new(ctx, ticket, original)
            ctx.ticket_id = original.id
            ctx.reply(
                joined_reply(original, ticket),
                mentions=[Mention(message.sender_id, message.sender_name)],
            )
            if original.urgent and not was_urgent:
                self._alert(ctx, original)
            return True
        _LOGGER.info(
            "opened %s in %s: %s/%s%s",
            ticket.label,
            ctx.grid.id,
            verdict.triage,
            verdict.category,
            " urgent" if verdict.urgent else "",
        )
        # The reporter hears it was taken in; the grid's gridworkers hear of every new ticket.
        workers = tell.staff(ctx.grid, message.platform)
        mentions = [Mention(message.sender_id, message.sender_name), *workers]
        ctx.reply(confirmation(ctx.grid.templates, ticket), mentions=mentions)
        if ticket.urgent:
            self._alert(ctx, ticket)
        return True

    @staticmethod
    def _alert(ctx: Context, ticket: Ticket) -> None:
        """An urgent ticket, at once and unmistakably: a message of its own to the grid's
        gridworkers and leader."""
        people = tell.staff(ctx.grid, ctx.message.platform, Role.GRIDWORKER, Role.LEADER)
        hours = ctx.grid.sla.urgent_response_hours
        ctx.post(
            f"{ctx.grid.templates.urgent_mark}工单 {ticket.label}：{tell.summary(ticket)}\n"
            f"请立即响应（{hours:g}小时内），发 /claim {ticket.number} 签收。",
            mentions=people,
        )
