"""Delivery through the outbox: confirmed once, retried with backoff, kept across restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryChat
from bot.bootstrap import build_bot
from bot.config import Config
from bot.delivery import backoff
from bot.messages import OutboundMessage
from bot.ports import DeliveryError
from tests.utils.builders import T0, make_config, message

LIFT = "3栋电梯坏了，老人上不去楼"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FlakyChat(MemoryChat):
    """A platform that is down until told otherwise."""

    def __init__(self) -> None:
        super().__init__("console")
        self.down: DeliveryError | None = DeliveryError("platform unreachable")
        self.attempts = 0

    async def send(self, message: OutboundMessage) -> str:
        self.attempts += 1
        if self.down is not None:
            raise self.down
        return await super().send(message)


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in range(4)] == [2, 4, 8, 16]
    assert backoff(40) == timedelta(minutes=5)


def test_a_down_platform_gets_the_reply_later_exactly_once(
    config: Config, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(T0)
    bot = build_bot(config, database_url=sqlite_url, clock=clock)
    chat = FlakyChat()
    bot.attach(chat)

    asyncio.run(bot.receive(message(LIFT)))
    assert chat.sent == [] and chat.attempts == 1
    assert "could not send outbox item 1" in caplog.text and "retrying" in caplog.text

    asyncio.run(bot.delivery.flush())  # not due yet: no new attempt
    assert chat.attempts == 1

    chat.down = None
    clock.now += timedelta(seconds=3)
    assert asyncio.run(bot.delivery.flush()) == 1
    assert asyncio.run(bot.delivery.flush()) == 0
    [reply] = chat.sent
    assert "#1" in reply.text


def test_a_refused_message_is_given_up_not_retried(config: Config, sqlite_url: str) -> None:
    clock = Clock(T0)
    bot = build_bot(config, database_url=sqlite_url, clock=clock)
    chat = FlakyChat()
    chat.down = DeliveryError("chat not found", retry=False)
    bot.attach(chat)

    asyncio.run(bot.receive(message(LIFT)))
    clock.now += timedelta(days=1)
    chat.down = None
    asyncio.run(bot.delivery.flush())
    assert chat.attempts == 1 and chat.sent == []


def test_queued_replies_survive_a_restart(config: Config, sqlite_url: str) -> None:
    first = build_bot(config, database_url=sqlite_url)
    down = FlakyChat()
    first.attach(down)
    asyncio.run(first.receive(message(LIFT)))
    assert down.sent == []

    # A new process on the same database, with the platform back.
    later = datetime.now(UTC) + timedelta(hours=1)
    second = build_bot(config, database_url=sqlite_url, clock=lambda: later)
    up = MemoryChat("console")
    second.attach(up)
    assert asyncio.run(second.delivery.flush()) == 1
    assert "#1" in up.sent[0].text


def test_messages_for_a_platform_without_adapter_wait(config: Config, sqlite_url: str) -> None:
    bot = build_bot(config, database_url=sqlite_url)
    telegram = MemoryChat("telegram")
    bot.attach(telegram)
    asyncio.run(bot.receive(message(LIFT)))  # a console message: no console adapter attached
    assert telegram.sent == []
    console = MemoryChat("console")
    bot.attach(console)
    assert asyncio.run(bot.delivery.flush()) == 1


def test_a_message_stored_before_a_crash_is_processed_once_on_restart(
    config: Config, sqlite_url: str
) -> None:
    inbound = message(LIFT, message_id="wx-crash")
    # The first process stored the message and died before processing it.
    first = build_bot(config, database_url=sqlite_url)
    with first.store.transaction() as tx:
        tx.record_message(inbound, grid_id="g1")

    second = build_bot(config, database_url=sqlite_url)
    chat = MemoryChat("console")
    second.attach(chat)
    assert second.pipeline.resume() == 1
    asyncio.run(second.delivery.flush())
    assert len(chat.take()) == 1
    # The platform delivers it again: recognised, no second ticket, no second reply.
    assert asyncio.run(second.receive(inbound)).duplicate
    assert second.pipeline.resume() == 0
    with second.store.transaction() as tx:
        assert len(tx.list_tickets(street=config.street.name)) == 1
    assert chat.take() == []


def test_a_redelivery_of_a_stored_but_unprocessed_message_processes_it(
    config: Config, sqlite_url: str
) -> None:
    inbound = message(LIFT, message_id="wx-half")
    bot = build_bot(config, database_url=sqlite_url)
    with bot.store.transaction() as tx:
        tx.record_message(inbound, grid_id="g1")
    chat = MemoryChat("console")
    bot.attach(chat)
    outcome = asyncio.run(bot.receive(inbound))
    assert not outcome.duplicate and outcome.ticket_id is not None
    assert len(chat.take()) == 1


def test_a_chat_gets_at_most_its_posts_a_minute_and_the_rest_wait(
    sqlite_url: str,
) -> None:
    now = [datetime(2026, 11, 23, 2, 0, tzinfo=UTC)]
    config = make_config(schedule={"max_posts_per_minute": 3})
    bot = build_bot(config, database_url=sqlite_url, clock=lambda: now[0])
    chat = MemoryChat("console")
    bot.attach(chat)
    with bot.store.transaction() as tx:
        for number in range(5):
            tx.enqueue(OutboundMessage("console", "chat-1", f"post {number}"), at=now[0])
    assert asyncio.run(bot.delivery.flush()) == 3
    assert [m.text for m in chat.take()] == ["post 0", "post 1", "post 2"]
    now[0] += timedelta(seconds=30)
    assert asyncio.run(bot.delivery.flush()) == 0  # the minute is not over
    now[0] += timedelta(seconds=31)
    assert asyncio.run(bot.delivery.flush()) == 2
    assert [m.text for m in chat.take()] == ["post 3", "post 4"]
