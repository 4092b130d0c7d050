"""SLA clocks: China's official working days and each ticket's response and resolution deadlines.

Working days follow the State Council's calendar, 调休 make-up working days included, through the
chinese-calendar package. For a year it does not know yet, Monday to Friday are working days and
the fallback is logged once per year.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.config import SlaConfig
from bot.domain import Triage

_LOGGER = logging.getLogger(__name__)


class WorkCalendar:
    """Which days are working days in mainland China."""

    def __init__(self) -> None:
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day: weekdays that are not public holidays, and the
        weekend days that are worked to make up for a holiday (调休)."""
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            with self._lock:
                if day.year not in self._warned:
                    self._warned.add(day.year)
                    _LOGGER.warning(
                        "the holiday calendar has no data for %s: counting Monday to Friday as "
                        "working days (upgrade the chinese-calendar package for that year)",
                        day.year,
                    )
            return day.weekday() < 5

    def working_days_after(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (the day itself does not count)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        found = 0
        while found < count:
            day += timedelta(days=1)
            if self.is_workday(day):
                found += 1
        return day


CALENDAR = WorkCalendar()


@dataclass(frozen=True, slots=True)
class Deadlines:
    """When someone must respond (签收 or, for a private matter, give guidance) and when the
    matter must be resolved (for a private matter: the follow-up)."""

    respond_by: datetime
    resolve_by: datetime


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The end of a local day: midnight at its close."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def deadlines(
    *,
    triage: Triage,
    urgent: bool,
    opened_at: datetime,
    sla: SlaConfig,
    zone: ZoneInfo,
    calendar: WorkCalendar = CALENDAR,
) -> Deadlines:
    """The deadlines of a ticket opened at `opened_at`, counted in working days where the
    practice does (a working-day deadline ends with that day, local time).

    - urgent: respond within `urgent_response_hours`, resolve the same day;
    - minor / major: respond within `response_working_days`, resolve within
      `minor_working_days` / `major_working_days`;
    - private: guidance within `private_referral_working_days`, follow-up
      `private_follow_up_working_days` after that.
    """
    local = opened_at.astimezone(zone)

    def after(days: int) -> datetime:
        return end_of_day(calendar.working_days_after(local.date(), days), zone)

    if triage is Triage.PRIVATE:
        referral = calendar.working_days_after(local.date(), sla.private_referral_working_days)
        follow_up = calendar.working_days_after(referral, sla.private_follow_up_working_days)
        respond_by = end_of_day(referral, zone)
        resolve_by = end_of_day(follow_up, zone)
    else:
        days = sla.major_working_days if triage is Triage.MAJOR else sla.minor_working_days
        respond_by = after(sla.response_working_days)
        resolve_by = after(days)
    if urgent:
        respond_by = min(respond_by, opened_at + timedelta(hours=sla.urgent_response_hours))
        if sla.urgent_resolve_same_day:
            resolve_by = min(resolve_by, end_of_day(local.date(), zone))
        resolve_by = max(resolve_by, respond_by)
    zone_of_caller = opened_at.tzinfo
    return Deadlines(respond_by.astimezone(zone_of_caller), resolve_by.astimezone(zone_of_caller))


def follow_up_due(
    referred_at: datetime, *, sla: SlaConfig, zone: ZoneInfo, calendar: WorkCalendar = CALENDAR
) -> datetime:
    """When a private matter's follow-up is due after guidance was given at `referred_at`."""
    day = calendar.working_days_after(
        referred_at.astimezone(zone).date(), sla.private_follow_up_working_days
    )
    return end_of_day(day, zone).astimezone(referred_at.tzinfo)
