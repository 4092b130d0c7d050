"""`gridbot run`: every configured platform connected to one bot, until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import GridBot
from bot.ports import ChatAdapter

_LOGGER = logging.getLogger(__name__)
DELIVERY_SECONDS = 1.0
CHECK_SECONDS = 300.0  # overdue work and expired return visits


async def every(
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


async def _tick(bot: GridBot) -> None:
    """Do the scheduled work that is due, then deliver what it queued."""
    try:
        bot.jobs.tick(datetime.now(UTC))
    except Exception:
        _LOGGER.exception("scheduled work failed; it is tried again at the next tick")
    await bot.delivery.flush()


def schedule(bot: GridBot) -> AsyncIOScheduler:
    """An APScheduler scheduler in the street's time zone with each grid's jobs from its config:
    status posts, the daily and weekly digest, and a check every few minutes for overdue work
    and expired return visits. Each job runs `Jobs.tick`, whose keys make every post happen
    once however often it runs and however many bots share the database."""
    config = bot.config
    scheduler = AsyncIOScheduler(timezone=config.street.timezone)
    options = {"misfire_grace_time": 300, "coalesce": True, "max_instances": 1}
    for grid in config.grids.values():
        plan = grid.schedule
        for index, at in enumerate(plan.status_posts):
            scheduler.add_job(
                _tick,
                CronTrigger(hour=at.hour, minute=at.minute),
                args=[bot],
                id=f"{grid.id}:status:{index}",
                **options,
            )
        at = plan.daily_digest
        scheduler.add_job(
            _tick,
            CronTrigger(hour=at.hour, minute=at.minute),
            args=[bot],
            id=f"{grid.id}:digest",
            **options,
        )
    scheduler.add_job(
        _tick,
        IntervalTrigger(seconds=CHECK_SECONDS),
        args=[bot],
        id="overdue-and-visits",
        **options,
    )
    return scheduler


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
    scheduler: AsyncIOScheduler | None = None
    try:
        for adapter in adapters:
            bot.attach(adapter)
            await adapter.start(bot.receive)
            started.append(adapter)

        async def deliver() -> None:
            await bot.delivery.flush()

        scheduler = schedule(bot)
        scheduler.start()
        # What fell due while the bot was down is made up now (within the grace).
        await _tick(bot)
        tasks = [asyncio.create_task(every(DELIVERY_SECONDS, "delivery", deliver, stop))]
        _LOGGER.info(
            "gridbot is running with %d platform(s); Ctrl-C or SIGTERM stops it", len(started)
        )
        await stop.wait()
        _LOGGER.info("stopping: finishing the work in flight")
    finally:
        stop.set()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
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
