"""The small interfaces the core owns and the outer packages implement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import LabelledExample, Ticket, TicketEvent, TicketState, Triage, Verdict
from bot.messages import InboundMessage, OutboundMessage

MessageSink = Callable[[InboundMessage], Awaitable[object]]


class ChatAdapter(Protocol):
    """A chat platform: it feeds inbound messages to the sink and posts outbound ones."""

    platform: str

    async def start(self, sink: MessageSink) -> None:
        """Connect and begin passing every group message to `sink`."""

    async def stop(self) -> None:
        """Disconnect; messages in flight are left to the outbox."""

    async def send(self, message: OutboundMessage) -> str:
        """Post one message and return the platform's id for it once the platform confirms.

        Raises:
            DeliveryError: the platform refused or could not be reached.
        """


class DeliveryError(Exception):
    """A message could not be posted; `retry` says whether trying again later may help."""

    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.retry = retry


class Classifier(Protocol):
    """Decides the triage, category and urgency of one message's text."""

    def classify(self, text: str) -> Verdict:
        """Classify one message."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A queued outbound message and its delivery bookkeeping."""

    id: int
    message: OutboundMessage
    attempts: int
    created_at: datetime


class StoreTransaction(Protocol):
    """What the pipeline and the commands may do to the store, all in one transaction."""

    def record_message(self, message: InboundMessage, *, grid_id: str | None) -> int | None:
        """Log a raw message; returns its row id, or None if it was seen before (redelivery)."""

    def mark_processed(
        self, message_row: int, *, ticket_id: int | None = None, error: str = ""
    ) -> None:
        """Note that a logged message went through the pipeline (or failed in it)."""

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
        """Open a ticket for an appeal, with its reporter and an `opened` audit event."""

    def get_ticket(self, street: str, number: int) -> Ticket | None:
        """The ticket with this short number in the street, if any."""

    def list_tickets(
        self,
        *,
        street: str,
        grid_id: str | None = None,
        states: Iterable[TicketState] | None = None,
    ) -> Sequence[Ticket]:
        """Tickets of the street (optionally one grid and some states), oldest first."""

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
        """Move a ticket to another state and write the audit event."""

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
        """Give a ticket another triage and category (and state), with an audit event."""

    def ticket_text(self, ticket_id: int) -> str:
        """The full text of the message that opened the ticket."""

    def add_example(
        self, example: LabelledExample, *, ticket_id: int | None, actor_id: str, at: datetime
    ) -> None:
        """Keep a gridworker-labelled message for the next training."""

    def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        """A ticket's audit trail, oldest first."""

    def enqueue(self, message: OutboundMessage, *, at: datetime) -> int | None:
        """Queue a message for delivery; None if its dedupe key was queued before."""


class Store(Protocol):
    """The ticket store."""

    def labelled_examples(self) -> Sequence[LabelledExample]:
        """Every message gridworkers have labelled, oldest first."""

    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        """A unit of work: everything inside commits together or not at all."""

    def pending_outbox(
        self,
        *,
        now: datetime,
        platform: str,
        chats: Collection[str] | None = None,
        limit: int = 50,
    ) -> Sequence[OutboxItem]:
        """A platform's messages (to `chats`, if given) due for delivery, oldest first."""

    def mark_sent(self, item_id: int, *, platform_message_id: str, at: datetime) -> None:
        """Record the platform's confirmation; the item is never sent again."""

    def mark_failed(self, item_id: int, *, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; `retry_at` None gives up on the item."""
