"""A grid's figures for leaders: `/stats` now, and the daily digest later.

The measures stay separate and honest: 办结率 counts work done (resolved or closed), 按时率 how
much of it met its deadline, 满意率 only what residents said (4–5 of 5), and a ticket closed
because nobody answered the return visit is 未评价, never "solved".
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands import LEADERS, CommandSet, UsageError
from bot.domain import (
    DONE_STATES,
    TRIAGE_WORDS,
    Closure,
    Ticket,
    TicketState,
    Triage,
)
from bot.pipeline import Context

APPEAL_TRIAGES = (Triage.MAJOR, Triage.MINOR, Triage.PRIVATE)
_NOT_APPEALS = (TicketState.DISMISSED, TicketState.MERGED, TicketState.CANCELLED)

PERIODS = {
    "today": ("今天", 0),
    "今天": ("今天", 0),
    "7d": ("近7天", 7),
    "7天": ("近7天", 7),
    "30d": ("近30天", 30),
    "30天": ("近30天", 30),
}


@dataclass(frozen=True, slots=True)
class GridStats:
    """What happened to a grid's tickets opened in a period, and where its work stands now."""

    since: datetime
    until: datetime
    opened: int
    by_triage: dict[Triage, int]
    merged: int
    dismissed: int
    cancelled: int
    responded: int
    resolved: int
    on_time: int
    first_response_hours: float | None
    resolution_days: float | None
    ratings: int
    satisfied: int
    closed_rated: int
    closed_unrated: int
    reopened: int
    overdue_now: tuple[int, ...]  # ticket numbers
    open_by_triage: dict[Triage, int]
    top_categories: tuple[tuple[str, int], ...]

    @property
    def appeals(self) -> int:
        """Tickets that were real appeals to work on (not merged, dismissed or cancelled)."""
        return self.opened - self.merged - self.dismissed - self.cancelled

    @property
    def closure_rate(self) -> float | None:
        """办结率: resolved or closed, of the appeals opened in the period."""
        return self.resolved / self.appeals if self.appeals else None

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率: resolved by the deadline, of those resolved."""
        return self.on_time / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> float | None:
        """满意率: ratings of 4 or 5, of all ratings given."""
        return self.satisfied / self.ratings if self.ratings else None


def compute(
    tickets: Sequence[Ticket], *, since: datetime, until: datetime, now: datetime
) -> GridStats:
    """The figures of one grid from all its tickets (those opened in [since, until) for the
    period's flow, every active one for where things stand now)."""
    period = [t for t in tickets if since <= t.created_at < until]
    appeals = [t for t in period if t.state not in _NOT_APPEALS]
    done = [t for t in appeals if t.state in DONE_STATES and t.resolved_at is not None]
    responded = [t for t in appeals if t.responded_at is not None]
    ratings = [r for t in period for r in t.ratings]
    active = [t for t in tickets if t.active]
    return GridStats(
        since=since,
        until=until,
        opened=len(period),
        by_triage={tr: sum(1 for t in appeals if t.triage is tr) for tr in APPEAL_TRIAGES},
        merged=sum(1 for t in period if t.state is TicketState.MERGED),
        dismissed=sum(1 for t in period if t.state is TicketState.DISMISSED),
        cancelled=sum(1 for t in period if t.state is TicketState.CANCELLED),
        responded=len(responded),
        resolved=len(done),
        on_time=sum(1 for t in done if t.resolved_on_time()),
        first_response_hours=_mean(
            [
                (t.responded_at - t.created_at).total_seconds() / 3600
                for t in responded
                if t.responded_at
            ]
        ),
        resolution_days=_mean(
            [(t.resolved_at - t.created_at).total_seconds() / 86400 for t in done if t.resolved_at]
        ),
        ratings=len(ratings),
        satisfied=sum(1 for r in ratings if r.satisfied),
        closed_rated=sum(1 for t in done if t.closure is Closure.RATED),
        closed_unrated=sum(1 for t in done if t.closure is Closure.UNRATED),
        reopened=sum(t.reopened for t in period),
        overdue_now=tuple(t.number for t in active if t.overdue(now)),
        open_by_triage={tr: sum(1 for t in active if t.triage is tr) for tr in APPEAL_TRIAGES},
        top_categories=tuple(Counter(t.category for t in appeals).most_common(3)),
    )


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def render(stats: GridStats, *, grid: str, title: str, zone: ZoneInfo) -> str:
    """The figures as a short message for a leader."""
    start = stats.since.astimezone(zone)
    end = (stats.until - timedelta(seconds=1)).astimezone(zone)
    span = f"{start.month}月{start.day}日" + (
        f"–{end.month}月{end.day}日" if start.date() != end.date() else ""
    )
    triage = " · ".join(f"{TRIAGE_WORDS[t]} {n}" for t, n in stats.by_triage.items())
    lines = [f"{grid} {title}工单统计（{span}）"]
    extra = [
        f"{word} {n} 件"
        for word, n in (
            ("重复并入", stats.merged),
            ("非诉求", stats.dismissed),
            ("居民撤销", stats.cancelled),
        )
        if n
    ]
    lines.append(
        f"新受理 {stats.appeals} 件（{triage}）" + (f"，另有{'、'.join(extra)}" if extra else "")
    )
    if stats.appeals:
        response = (
            f"，平均 {stats.first_response_hours:.1f} 小时响应"
            if stats.first_response_hours is not None
            else ""
        )
        lines.append(f"已响应 {stats.responded} 件{response}")
        days = ""
        if stats.resolution_days is not None:
            took = stats.resolution_days
            days = f"，平均用时 {took:.1f} 天" if took >= 2 else f"，平均用时 {took * 24:.1f} 小时"
        lines.append(
            f"已办结 {stats.resolved} 件，办结率 {_percent(stats.closure_rate)}；"
            f"按时办结 {stats.on_time} 件，按时率 {_percent(stats.on_time_rate)}{days}"
        )
        lines.append(
            f"回访：{stats.ratings} 人评价，满意率 {_percent(stats.satisfaction)}"
            f"（{stats.satisfied} 人打 4–5 分）；居民确认解决 {stats.closed_rated} 件，"
            f"未评价关闭 {stats.closed_unrated} 件，不满意重办 {stats.reopened} 次"
        )
    if stats.top_categories:
        lines.append("分类前三：" + " · ".join(f"{c} {n}" for c, n in stats.top_categories))
    open_now = " · ".join(f"{TRIAGE_WORDS[t]} {n}" for t, n in stats.open_by_triage.items())
    lines.append(f"现在在办：{open_now}")
    if stats.overdue_now:
        numbers = " ".join(f"#{n}" for n in stats.overdue_now[:15])
        more = f" 等 {len(stats.overdue_now)} 件" if len(stats.overdue_now) > 15 else ""
        lines.append(f"⚠ 现在超期 {len(stats.overdue_now)} 件：{numbers}{more}")
    else:
        lines.append("现在没有超期的工单。")
    return "\n".join(lines)


def period_start(now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The start of a period ending now: local midnight today (days 0), or `days` days back."""
    local = now.astimezone(zone)
    if days == 0:
        return datetime.combine(local.date(), time(0), tzinfo=zone)
    return now - timedelta(days=days)


def register_stats(commands: CommandSet) -> None:
    """The leaders' `/stats`."""

    @commands.command(
        "stats",
        "统计",
        roles=LEADERS,
        usage="/stats [today|7d|30d]",
        example="/stats 7d",
        summary="本网格的办结率、按时率、满意率和超期工单",
    )
    def show_stats(ctx: Context, args: str) -> None:
        word = args.strip().lower() or "today"
        if word not in PERIODS:
            raise UsageError(f"不认识“{args[:10]}”。")
        title, days = PERIODS[word]
        now = ctx.message.time
        since = period_start(now, days, ctx.zone)
        tickets = ctx.tx.list_tickets(street=ctx.street, grid_id=ctx.grid.id)
        stats = compute(tickets, since=since, until=now + timedelta(seconds=1), now=now)
        ctx.reply(render(stats, grid=ctx.grid.name, title=title, zone=ctx.zone))
