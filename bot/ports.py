"""The small interfaces the core owns and the outer packages implement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import (
    LabelledExample,
    Rating,
    Reporter,
    Ticket,
    TicketEvent,
    TicketState,
    Verdict,
)
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
        """Log a raw message; returns its row id, or None if it was processed before (a
        redelivery). A message stored before but never processed (a crash in between) returns
        its row id again, so that it is processed now."""

    def claim_message(self, message_row: int) -> bool:
        """Take a stored message for processing in this transaction: False if another process
        (or an earlier try) has processed it. Processing is idempotent through this."""

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
        respond_by: datetime | None = None,
        resolve_by: datetime | None = None,
    ) -> Ticket:
        """Open a ticket for an appeal, with its reporter, its deadlines and an `opened` audit
        event."""

    def get_ticket(self, street: str, number: int) -> Ticket | None:
        """The ticket with this short number in the street, if any."""

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
        """Tickets of the street (optionally: one grid, some states, opened at or after
        `since`, with a row id above `after_id`, changed at or after `changed_since`), oldest
        first."""

    def update_ticket(self, ticket: Ticket, event: TicketEvent) -> Ticket:
        """Store a ticket's changed fields (state, labels, assignee, deadlines …) together with
        the audit event that explains the change; returns it as stored. Only
        `bot.lifecycle.move` calls this."""

    def add_reporter(self, ticket_id: int, reporter: Reporter) -> bool:
        """Make someone a follower of a ticket; False if they already were."""

    def remove_reporter(self, ticket_id: int, platform: str, user_id: str) -> None:
        """Take one person off a ticket's followers."""

    def is_bot_message(self, platform: str, chat_id: str, message_id: str) -> bool:
        """Whether a chat message is one the bot sent (its id as the platform confirmed it)."""

    def remove_followers(self, ticket_id: int, *, via: int) -> int:
        """Take off a ticket the followers who came with ticket `via` (a merge undone)."""

    def ticket_by_id(self, ticket_id: int) -> Ticket | None:
        """A ticket by its row id."""

    def ticket_of_message(self, platform: str, chat_id: str, message_id: str) -> int | None:
        """The ticket a chat message opened or joined, if any."""

    def latest_ticket_in_chat(self, platform: str, chat_id: str, *, since: datetime) -> int | None:
        """The ticket most recently opened or joined by a message of this chat since `since`."""

    def add_rating(self, ticket_id: int, rating: Rating) -> None:
        """Record a reporter's return-visit answer (one per person; a new one replaces it)."""

    def tickets_of(self, *, street: str, platform: str, user_id: str) -> Sequence[Ticket]:
        """The tickets someone reported or joined, oldest first."""

    def ticket_text(self, ticket_id: int) -> str:
        """The full text of the message that opened the ticket."""

    def ticket_texts(self, ticket_ids: Sequence[int]) -> dict[int, str]:
        """The same for many tickets at once, by ticket id."""

    def add_example(
        self, example: LabelledExample, *, ticket_id: int | None, actor_id: str, at: datetime
    ) -> None:
        """Keep a gridworker-labelled message for the next training."""

    def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        """A ticket's audit trail, oldest first."""

    def enqueue(self, message: OutboundMessage, *, at: datetime) -> int | None:
        """Queue a message for delivery (not before `message.not_before`); None if its dedupe
        key was queued before."""

    def claim_run(self, key: str, *, grid_id: str, kind: str, at: datetime) -> bool:
        """Record that the scheduled job `key` is done, in this transaction; False if it was
        done before (by this process or another sharing the database)."""


class DuplicateFinder(Protocol):
    """Finds the open ticket a new appeal repeats (the same problem at the same place)."""

    def add(
        self, ticket_id: int, grid_id: str, category: str, text: str, created_at: datetime
    ) -> None:
        """Index an open ticket (again, if it changed)."""

    def remove(self, ticket_id: int) -> None:
        """Forget a ticket that is no longer open."""

    def match(
        self, grid_id: str, category: str, text: str, now: datetime
    ) -> list[tuple[int, float]]:
        """The indexed tickets this text repeats, best first, as (ticket id, score)."""

    def quote(self, text: str) -> str:
        """The text a message quotes (a WeChat 「…」 quote or `>` lines), if any."""


class Store(Protocol):
    """The ticket store."""

    def labelled_examples(self) -> Sequence[LabelledExample]:
        """Every message gridworkers have labelled, oldest first."""

    def unprocessed_messages(self, *, limit: int = 100) -> Sequence[tuple[int, InboundMessage]]:
        """Messages stored but never processed (the process stopped in between), oldest first."""

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

    def sent_since(self, *, platform: str, chat_id: str, since: datetime) -> int:
        """How many messages were confirmed sent to a chat since `since` (for rate limits)."""

    def defer(self, item_id: int, *, until: datetime) -> None:
        """Hold a queued message back until `until`, without counting an attempt."""

    def mark_failed(self, item_id: int, *, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; `retry_at` None gives up on the item."""
