"""`gridbot run`: every configured platform connected to one bot, until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from bot.app import GridBot
from bot.ports import ChatAdapter

_LOGGER = logging.getLogger(__name__)
DELIVERY_SECONDS = 1.0
FOLLOW_UP_SECONDS = 600.0


async def _every(
    seconds: float, what: str, job: Callable[[], Awaitable[None]], stop: asyncio.Event
) -> None:
    """Run `job` every `seconds` until `stop` is set; a run in progress is always finished
    (a message half-sent must be marked sent). A failure is logged, not fatal."""
    while not stop.is_set():
        try:
            await job()
        except Exception:
            _LOGGER.exception("%s failed; trying again in %.0f s", what, seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


async def serve(
    bot: GridBot, adapters: Sequence[ChatAdapter], stop: asyncio.Event | None = None
) -> None:
    """Process what was stored but not processed, connect every adapter, deliver the outbox
    and do the bot's own follow-up, until `stop` is set (SIGTERM and Ctrl-C set it).

    On the way out no new message is taken, the message being processed is finished, and
    what could not be sent stays in the outbox for the next start.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not possible off the main thread or on Windows: then the caller sets `stop`.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    resumed = bot.pipeline.resume()
    if resumed:
        _LOGGER.info("processed %d message(s) stored before the last stop", resumed)
    started: list[ChatAdapter] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for adapter in adapters:
            bot.attach(adapter)
            await adapter.start(bot.receive)
            started.append(adapter)

        async def deliver() -> None:
            await bot.delivery.flush()

        async def follow_up() -> None:
            bot.follow_up(datetime.now(UTC))
            await bot.delivery.flush()

        tasks = [
            asyncio.create_task(_every(DELIVERY_SECONDS, "delivery", deliver, stop)),
            asyncio.create_task(_every(FOLLOW_UP_SECONDS, "follow-up", follow_up, stop)),
        ]
        _LOGGER.info(
            "gridbot is running with %d platform(s); Ctrl-C or SIGTERM stops it", len(started)
        )
        await stop.wait()
        _LOGGER.info("stopping: finishing the work in flight")
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                _LOGGER.exception("%s did not stop cleanly", adapter.platform)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    _LOGGER.info("gridbot stopped; unsent messages wait in the outbox")
