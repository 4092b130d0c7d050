"""The platform-neutral pipeline: every inbound message passes the same ordered stages."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import Config, Grid
from bot.domain import Actor, Reporter, Role, Ticket
from bot.messages import InboundMessage, Mention, MessageKind, OutboundMessage
from bot.ports import Store, StoreTransaction
from bot.privacy import masked

if TYPE_CHECKING:
    from bot.commands import Invocation

_LOGGER = logging.getLogger(__name__)

# Control characters other than tab and newline (NUL above all) and lone surrogates (bytes a
# terminal could not decode) are not text; the databases refuse them, so they are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
ID_LIMIT = 128
NAME_LIMIT = 64
# Platforms sometimes send nonsense times; outside these years the receiving time is used.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass
class Context:
    """One message on its way through the stages, with what the stages found out."""

    message: InboundMessage
    grid: Grid
    role: Role
    street: str
    tx: StoreTransaction
    now: datetime
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    replies: list[OutboundMessage] = field(default_factory=list)
    ticket_id: int | None = None
    # Set by the command parser for the permission and command stages.
    command: Invocation | None = None
    # The ticket a command names, once the permission stage has checked the sender may use it.
    ticket: Ticket | None = None

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

    def post(self, text: str, *, mentions: Sequence[Mention] = ()) -> None:
        """Post in the chat the message came from, not as a reply to it."""
        self.replies.append(
            OutboundMessage(
                platform=self.message.platform,
                chat_id=self.message.chat_id,
                text=text,
                mentions=tuple(mentions),
            )
        )

    def tell(self, user_id: str, text: str) -> None:
        """Send one person a private message (details of a private matter stay out of the group)."""
        self.replies.append(
            OutboundMessage(platform=self.message.platform, chat_id=user_id, text=text, direct=True)
        )

    def reporter(self, *, via: int | None = None) -> Reporter:
        """The sender as a ticket's follower (`via`: the merged ticket they came with)."""
        message = self.message
        return Reporter(message.platform, message.sender_id, message.sender_name, message.time, via)

    @property
    def actor(self) -> Actor:
        """The sender, as the audit trail names them."""
        return Actor(self.message.sender_id, self.message.sender_name)


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
        return self._config.grid_of_chat(message.platform, message.chat_id)

    def process(self, message: InboundMessage) -> Outcome:
        """Store the message and run it through the stages; replies go to the outbox.

        The message is stored in a transaction of its own first, so that a failure in a
        later stage never loses it.
        """
        message = self._cleaned(message)
        grid = self.grid_for(message)
        try:
            with self._store.transaction() as tx:
                row = tx.record_message(message, grid_id=grid.id)
        except Exception as exc:
            _LOGGER.exception(
                "could not store message %s from %s in %s:%s; the platform must deliver it again",
                message.message_id,
                message.sender_id,
                message.platform,
                message.chat_id,
            )
            return Outcome(error=f"not stored: {exc}")
        if row is None:
            _LOGGER.info(
                "ignored redelivered message %s in %s:%s",
                message.message_id,
                message.platform,
                message.chat_id,
            )
            return Outcome(duplicate=True)
        return self._run(row, message, grid)

    def resume(self) -> int:
        """Process the messages that were stored but never processed (the bot stopped in
        between); returns how many. Run at start, before new messages are taken."""
        done = 0
        tried: set[int] = set()
        while batch := [m for m in self._store.unprocessed_messages() if m[0] not in tried]:
            for row, message in batch:
                tried.add(row)
                _LOGGER.info(
                    "processing message %s in %s:%s stored before the restart",
                    message.message_id,
                    message.platform,
                    message.chat_id,
                )
                outcome = self._run(row, message, self.grid_for(message))
                done += not outcome.duplicate
        return done

    def _run(self, row: int, message: InboundMessage, grid: Grid) -> Outcome:
        """Process one stored message, once: the claim and all its effects commit together."""
        try:
            with self._store.transaction() as tx:
                if not tx.claim_message(row):
                    return Outcome(duplicate=True)
                ctx = Context(
                    message=message,
                    grid=grid,
                    role=grid.role_of(message.platform, message.sender_id),
                    street=self._config.street.name,
                    tx=tx,
                    now=self._clock(),
                    zone=self._config.street.zone,
                )
                for stage in self._stages:
                    if stage(ctx):
                        break
                replies = tuple(masked(r) for r in ctx.replies)
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

    def _cleaned(self, message: InboundMessage) -> InboundMessage:
        """The message with only storable text in every field, and a believable time."""
        time = message.time
        if not _EARLIEST <= time <= _LATEST:
            _LOGGER.warning("message %s has time %s; using now", message.message_id, time)
            time = self._clock()
        return replace(
            message,
            platform=clean_text(message.platform)[:16],
            chat_id=clean_text(message.chat_id)[:ID_LIMIT],
            message_id=clean_text(message.message_id)[:ID_LIMIT],
            sender_id=clean_text(message.sender_id)[:ID_LIMIT],
            sender_name=clean_text(message.sender_name)[:NAME_LIMIT] or "居民",
            text=clean_text(message.text),
            reply_to=clean_text(message.reply_to)[:ID_LIMIT] if message.reply_to else None,
            mentions=tuple(clean_text(m)[:ID_LIMIT] for m in message.mentions),
            time=time,
        )

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
