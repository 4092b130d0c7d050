"""Delivery: the outbox is drained to the adapters; a message counts as sent only when confirmed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

from bot.ports import ChatAdapter, DeliveryError, OutboxItem, Store

_LOGGER = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=5)
RATE_WINDOW = timedelta(minutes=1)


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try: 2, 4, 8 … seconds, at most five minutes."""
    return min(timedelta(seconds=2 ** min(attempts + 1, 16)), MAX_BACKOFF)


class Delivery:
    """Sends what the outbox holds through the adapter of each message's platform."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        limit_for: Callable[[str, str], int] | None = None,
    ) -> None:
        """`limit_for(platform, chat_id)` is how many posts a chat may get a minute; more
        wait in the outbox."""
        self._store = store
        self._clock = clock
        self._limit_for = limit_for
        self._adapters: dict[str, tuple[ChatAdapter, frozenset[str] | None]] = {}
        self._lock = asyncio.Lock()

    def attach(self, adapter: ChatAdapter, *, chats: Collection[str] | None = None) -> None:
        """Deliver this platform's messages (only those to `chats`, if given) via `adapter`."""
        self._adapters[adapter.platform] = (adapter, frozenset(chats) if chats else None)

    async def flush(self) -> int:
        """Send everything that is due now; returns how many messages were confirmed."""
        async with self._lock:
            sent = 0
            for platform, (adapter, chats) in self._adapters.items():
                while True:
                    items = self._store.pending_outbox(
                        now=self._clock(), platform=platform, chats=chats
                    )
                    if not items:
                        break
                    for item in items:
                        sent += await self._send(adapter, item)
            return sent

    def _over_limit(self, item: OutboxItem) -> bool:
        """Hold the item back if its chat had its posts for this minute already."""
        message = item.message
        if self._limit_for is None or message.direct:
            return False
        limit = self._limit_for(message.platform, message.chat_id)
        now = self._clock()
        sent = self._store.sent_since(
            platform=message.platform, chat_id=message.chat_id, since=now - RATE_WINDOW
        )
        if sent < limit:
            return False
        _LOGGER.info(
            "%s:%s had %d posts in the last minute; outbox item %s waits",
            message.platform,
            message.chat_id,
            sent,
            item.id,
        )
        self._store.defer(item.id, until=now + RATE_WINDOW / limit)
        return True

    async def _send(self, adapter: ChatAdapter, item: OutboxItem) -> int:
        if self._over_limit(item):
            return 0
        try:
            platform_id = await adapter.send(item.message)
        except Exception as exc:
            # Only a platform's explicit refusal ends the tries: a platform that is down,
            # slow or rate-limiting gets the message later, however long that takes.
            retry = not isinstance(exc, DeliveryError) or exc.retry
            retry_at = self._clock() + backoff(item.attempts) if retry else None
            _LOGGER.warning(
                "could not send outbox item %s to %s:%s (attempt %s): %s; %s",
                item.id,
                item.message.platform,
                item.message.chat_id,
                item.attempts + 1,
                exc,
                f"retrying at {retry_at:%H:%M:%S}" if retry_at else "refused, not retrying",
            )
            self._store.mark_failed(item.id, error=str(exc), retry_at=retry_at)
            return 0
        self._store.mark_sent(item.id, platform_message_id=platform_id, at=self._clock())
        return 1
