"""The platform-neutral pipeline: every inbound message passes the same ordered stages."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.config import Config, Grid
from bot.domain import Role
from bot.messages import InboundMessage, Mention, MessageKind, OutboundMessage
from bot.ports import Store, StoreTransaction
from bot.privacy import mask_pii

if TYPE_CHECKING:
    from bot.commands import Invocation

_LOGGER = logging.getLogger(__name__)

# Control characters other than tab and newline (NUL above all) are not text; PostgreSQL
# refuses NUL in a text column, so they are dropped before anything is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Context:
    """One message on its way through the stages, with what the stages found out."""

    message: InboundMessage
    grid: Grid
    role: Role
    street: str
    tx: StoreTransaction
    now: datetime
    replies: list[OutboundMessage] = field(default_factory=list)
    ticket_id: int | None = None
    # Set by the command parser for the permission and command stages.
    command: Invocation | None = None

    def reply(self, text: str, *, mentions: Sequence[Mention] = ()) -> None:
        """Answer in the chat the message came from."""
        self.replies.append(
            OutboundMessage(
                platform=self.message.platform,
                chat_id=self.message.chat_id,
                text=text,
                mentions=tuple(mentions),
                reply_to=self.message.message_id,
            )
        )


# A stage returns True when it has dealt with the message: later stages are skipped.
Stage = Callable[[Context], bool]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one inbound message."""

    duplicate: bool = False
    replies: tuple[OutboundMessage, ...] = ()
    ticket_id: int | None = None
    error: str | None = None


def clean_text(text: str) -> str:
    """The message text without control characters, trimmed."""
    return _CONTROL.sub("", text).strip()


def skip_non_text(ctx: Context) -> bool:
    """Images, voice, files and stickers are logged with their kind but not classified."""
    return ctx.message.kind is not MessageKind.TEXT or not ctx.message.text


class Pipeline:
    """Stores each message, then runs the stages in order until one deals with it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        stages: Sequence[Stage],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._store = store
        self._stages = tuple(stages)
        self._clock = clock

    def grid_for(self, message: InboundMessage) -> Grid:
        """The grid of the message's chat; a chat the config does not bind is a grid of its own."""
        grid = self._config.grid_for_chat(message.platform, message.chat_id)
        if grid is None:
            grid = self._config.ad_hoc_grid(message.platform, message.chat_id)
        return grid

    def process(self, message: InboundMessage) -> Outcome:
        """Store the message and run it through the stages; replies go to the outbox.

        The message is stored in a transaction of its own first, so that a failure in a
        later stage never loses it.
        """
        message = _cleaned(message)
        grid = self.grid_for(message)
        with self._store.transaction() as tx:
            row = tx.record_message(message, grid_id=grid.id)
        if row is None:
            _LOGGER.info(
                "ignored redelivered message %s in %s:%s",
                message.message_id,
                message.platform,
                message.chat_id,
            )
            return Outcome(duplicate=True)
        try:
            with self._store.transaction() as tx:
                ctx = Context(
                    message=message,
                    grid=grid,
                    role=grid.role_of(message.platform, message.sender_id),
                    street=self._config.street.name,
                    tx=tx,
                    now=self._clock(),
                )
                for stage in self._stages:
                    if stage(ctx):
                        break
                replies = tuple(_masked(r) for r in ctx.replies)
                for reply in replies:
                    tx.enqueue(reply, at=ctx.now)
                tx.mark_processed(row, ticket_id=ctx.ticket_id)
        except Exception as exc:
            _LOGGER.exception(
                "failed to process message %s from %s in %s:%s",
                message.message_id,
                message.sender_id,
                message.platform,
                message.chat_id,
            )
            return self._report_failure(message, grid, row, exc)
        return Outcome(replies=replies, ticket_id=ctx.ticket_id)

    def _report_failure(
        self, message: InboundMessage, grid: Grid, row: int, exc: Exception
    ) -> Outcome:
        apology = OutboundMessage(
            platform=message.platform,
            chat_id=message.chat_id,
            text=grid.templates.failure,
            reply_to=message.message_id,
        )
        with self._store.transaction() as tx:
            tx.mark_processed(row, error=f"{type(exc).__name__}: {exc}")
            tx.enqueue(apology, at=self._clock())
        return Outcome(replies=(apology,), error=str(exc))


def _cleaned(message: InboundMessage) -> InboundMessage:
    text = clean_text(message.text)
    return message if text == message.text else replace(message, text=text)


def _masked(message: OutboundMessage) -> OutboundMessage:
    return replace(message, text=mask_pii(message.text))
