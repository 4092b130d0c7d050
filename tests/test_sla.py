"""SLA clocks on China's official calendar: holidays, 调休 make-up working days, the fallback."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import SlaConfig
from bot.domain import Triage
from bot.sla import WorkCalendar, deadlines, follow_up_due

SHANGHAI = ZoneInfo("Asia/Shanghai")
SLA = SlaConfig()


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=SHANGHAI) + timedelta(days=1)


def test_national_day_holiday_and_its_make_up_working_days() -> None:
    calendar = WorkCalendar()
    # 2026: 1–7 October off; Sunday 20 September and Saturday 10 October are worked instead.
    assert not calendar.is_workday(date(2026, 10, 1))
    assert not calendar.is_workday(date(2026, 10, 7))
    assert calendar.is_workday(date(2026, 9, 20))  # a Sunday
    assert calendar.is_workday(date(2026, 10, 10))  # a Saturday
    assert not calendar.is_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_a_minor_matter_reported_before_the_holiday_is_due_after_it() -> None:
    # Tuesday 29 September: Wednesday 30th, then the holiday, then Thursday 8th and Friday 9th.
    due = deadlines(
        triage=Triage.MINOR, urgent=False, opened_at=at(2026, 9, 29), sla=SLA, zone=SHANGHAI
    )
    assert due.respond_by == end_of(2026, 9, 30)
    assert due.resolve_by == end_of(2026, 10, 9)


def test_the_make_up_saturday_counts_as_a_working_day() -> None:
    # Friday 9 October: Saturday 10th (调休, worked), Monday 12th, Tuesday 13th.
    due = deadlines(
        triage=Triage.MINOR, urgent=False, opened_at=at(2026, 10, 9), sla=SLA, zone=SHANGHAI
    )
    assert due.respond_by == end_of(2026, 10, 10)
    assert due.resolve_by == end_of(2026, 10, 13)


def test_a_major_matter_has_thirteen_working_days() -> None:
    due = deadlines(
        triage=Triage.MAJOR, urgent=False, opened_at=at(2026, 11, 23), sla=SLA, zone=SHANGHAI
    )
    # Monday 23 November + 13 working days, no holidays in between: Thursday 10 December.
    assert due.resolve_by == end_of(2026, 12, 10)


def test_urgent_means_an_hour_to_respond_and_the_same_day_to_resolve() -> None:
    opened = at(2026, 11, 23, 15, 20)
    due = deadlines(triage=Triage.MINOR, urgent=True, opened_at=opened, sla=SLA, zone=SHANGHAI)
    assert due.respond_by == opened + timedelta(hours=1)
    assert due.resolve_by == end_of(2026, 11, 23)


def test_urgent_on_a_holiday_still_runs_on_the_clock() -> None:
    opened = at(2026, 10, 3, 9, 0)
    due = deadlines(triage=Triage.MAJOR, urgent=True, opened_at=opened, sla=SLA, zone=SHANGHAI)
    assert due.respond_by == opened + timedelta(hours=1)
    assert due.resolve_by == end_of(2026, 10, 3)


def test_private_matters_get_guidance_then_a_follow_up() -> None:
    due = deadlines(
        triage=Triage.PRIVATE, urgent=False, opened_at=at(2026, 9, 30), sla=SLA, zone=SHANGHAI
    )
    # Guidance by the next working day (8 October, after the holiday), follow-up three after.
    assert due.respond_by == end_of(2026, 10, 8)
    assert due.resolve_by == end_of(2026, 10, 12)
    assert follow_up_due(at(2026, 10, 9), sla=SLA, zone=SHANGHAI) == end_of(2026, 10, 13)


def test_a_grid_can_have_its_own_deadlines() -> None:
    village = SlaConfig(minor_working_days=5)
    due = deadlines(
        triage=Triage.MINOR, urgent=False, opened_at=at(2026, 11, 23), sla=village, zone=SHANGHAI
    )
    assert due.resolve_by == end_of(2026, 11, 30)


def test_a_year_beyond_the_calendar_falls_back_to_weekdays_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="bot.sla"):
        assert calendar.is_workday(date(2099, 1, 2))  # a Friday
        assert not calendar.is_workday(date(2099, 1, 3))  # a Saturday
        assert calendar.working_days_after(date(2099, 1, 2), 1) == date(2099, 1, 5)
    warnings = [r for r in caplog.records if "2099" in r.getMessage()]
    assert len(warnings) == 1
    assert "Monday to Friday" in warnings[0].getMessage()


def test_deadlines_are_returned_in_the_callers_zone() -> None:
    opened = datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("UTC"))
    due = deadlines(triage=Triage.MINOR, urgent=False, opened_at=opened, sla=SLA, zone=SHANGHAI)
    assert due.resolve_by.tzinfo == ZoneInfo("UTC")
    assert due.resolve_by == end_of(2026, 11, 26)
