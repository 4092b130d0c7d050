"""Follow-up the bot does by itself: return visits (回访) that nobody answered are closed as
未评价 once `sla.return_visit_days` have passed. The scheduler runs this; so can an operator."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.config import Config
from bot.domain import Closure, Ticket, TicketState
from bot.lifecycle import BOT, Action, move
from bot.ports import Store

_LOGGER = logging.getLogger(__name__)


def expire_return_visits(store: Store, config: Config, now: datetime) -> list[Ticket]:
    """Close every resolved ticket whose return visit went unanswered; returns them."""
    closed: list[Ticket] = []
    with store.transaction() as tx:
        for ticket in tx.list_tickets(street=config.street.name, states=[TicketState.RESOLVED]):
            days = config.grid_of_chat(ticket.platform, ticket.chat_id).sla.return_visit_days
            if ticket.resolved_at is None or now - ticket.resolved_at < timedelta(days=days):
                continue
            closed.append(
                move(
                    tx,
                    ticket,
                    Action.EXPIRED,
                    actor=BOT,
                    at=now,
                    note=f"办结后 {days} 天无人评价",
                    closure=Closure.UNRATED,
                )
            )
    if closed:
        _LOGGER.info(
            "closed %d ticket(s) as unrated after the return visit: %s",
            len(closed),
            " ".join(t.label for t in closed),
        )
    return closed
