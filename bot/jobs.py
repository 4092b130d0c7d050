"""What the bot does on a schedule: status posts, overdue reminders (催办), supervision by the
grid leader (督办) and automatic escalation, the leaders' daily and weekly digests, and the
return-visit expiry.

Every job has a key (grid or ticket, kind, period). The key is recorded in the same transaction
as the posts the job queues, so a job is done once: not twice after a restart, not twice by two
bots sharing one PostgreSQL database. A post missed while the bot was down is made up within
`schedule.missed_post_grace_hours`, and skipped with a log line beyond it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import tell
from bot.config import Config, Grid, QuietHours
from bot.domain import (
    ACTIVE_STATES,
    LEVEL_WORDS,
    STATE_WORDS,
    TRIAGE_WORDS,
    Level,
    Role,
    Ticket,
    TicketState,
    Triage,
)
from bot.followup import expire_return_visits
from bot.lifecycle import BOT, Action, move
from bot.messages import Mention, MessageKind, OutboundMessage, Platform
from bot.ports import Store, StoreTransaction
from bot.privacy import masked
from bot.sla import CALENDAR, WorkCalendar
from bot.stats import GridStats, compute, render

_LOGGER = logging.getLogger(__name__)
# Platforms where the bot can write to one person privately.
DIRECT_PLATFORMS = frozenset({Platform.TELEGRAM.value, Platform.WECHAT.value})
STATUS_LIMIT = 15
VISIT_AGAIN_AFTER = timedelta(days=1)
Chart = Callable[[GridStats, str, str], bytes]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One scheduled post of a grid: its kind and local time."""

    grid: Grid
    kind: str  # status | digest | weekly
    at: datetime

    @property
    def key(self) -> str:
        """The job's key: the same occurrence always has the same key."""
        return f"{self.grid.id}:{self.kind}:{self.at:%Y-%m-%dT%H:%M}"


def quiet_until(now: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet hours `now` falls in (local time), or None outside them."""
    local = now.astimezone(zone)
    clock = local.time()
    start, end = quiet.start, quiet.end
    inside = start <= clock or clock < end if start > end else start <= clock < end
    if not inside or start == end:
        return None
    day = local.date() + timedelta(days=1) if start > end and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=zone)


def draw_chart(stats: GridStats, grid: str, title: str) -> bytes:
    from bot.charts import digest_chart

    return digest_chart(stats, grid=grid, title=title)


class Jobs:
    """The scheduled work of every grid of the street; `tick(now)` does whatever is due."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        calendar: WorkCalendar = CALENDAR,
        chart: Chart | None = draw_chart,
    ) -> None:
        self._config = config
        self._store = store
        self._calendar = calendar
        self._chart = chart
        self._zone = config.street.zone

    # --- the schedule ---------------------------------------------------------------------

    def occurrences(self, grid: Grid, day: date) -> list[Occurrence]:
        """A grid's scheduled posts on one local day, in time order."""
        schedule = grid.schedule
        found: list[Occurrence] = []
        working = self._calendar.is_workday(day)
        if working or not schedule.working_days_only:
            found += [
                Occurrence(grid, "status", self._local(day, t)) for t in schedule.status_posts
            ]
            found.append(Occurrence(grid, "digest", self._local(day, schedule.daily_digest)))
        if day.isoweekday() == schedule.weekly_digest_weekday:
            found.append(Occurrence(grid, "weekly", self._local(day, schedule.daily_digest)))
        return sorted(found, key=lambda o: (o.at, o.kind))

    def _local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self._zone)

    def due(self, now: datetime) -> list[Occurrence]:
        """The scheduled posts whose time has come and that are not older than the grace."""
        local_day = now.astimezone(self._zone).date()
        due = []
        for grid in self._config.grids.values():
            grace = timedelta(hours=grid.schedule.missed_post_grace_hours, minutes=5)
            for day in (local_day - timedelta(days=1), local_day):
                for occurrence in self.occurrences(grid, day):
                    if occurrence.at <= now < occurrence.at + grace:
                        due.append(occurrence)
                    elif now >= occurrence.at + grace and now - occurrence.at < timedelta(days=1):
                        self._skip_if_never_done(occurrence, now)
        return due

    def _skip_if_never_done(self, occurrence: Occurrence, now: datetime) -> None:
        with self._store.transaction() as tx:
            if tx.claim_run(
                occurrence.key, grid_id=occurrence.grid.id, kind=occurrence.kind, at=now
            ):
                _LOGGER.warning(
                    "skipped the %s of %s due at %s: the bot was down longer than the grace",
                    occurrence.kind,
                    occurrence.grid.id,
                    f"{occurrence.at:%Y-%m-%d %H:%M}",
                )

    # --- running ---------------------------------------------------------------------------

    def tick(self, now: datetime) -> int:
        """Do everything that is due at `now`; returns how many messages were queued."""
        queued = 0
        for occurrence in self.due(now):
            queued += self.run(occurrence, now)
        queued += self.overdue(now)
        queued += self.return_visits(now)
        expire_return_visits(self._store, self._config, now)
        return queued

    def return_visits(self, now: datetime) -> int:
        """Ask once more (a day after 办结) the reporters who have not rated a resolved ticket;
        the visit expires as 未评价 after `sla.return_visit_days`. Returns messages queued."""
        queued = 0
        with self._store.transaction() as tx:
            resolved = tx.list_tickets(
                street=self._config.street.name, states=[TicketState.RESOLVED]
            )
            for ticket in resolved:
                if ticket.resolved_at is None or now - ticket.resolved_at < VISIT_AGAIN_AFTER:
                    continue
                rated = {r.user_id for r in ticket.ratings}
                waiting = [r for r in ticket.reporters if r.user_id not in rated]
                grid = self._config.grid_of_chat(ticket.platform, ticket.chat_id)
                key = f"ticket:{ticket.id}:visit:{ticket.resolved_at:%Y-%m-%dT%H:%M}"
                if not waiting or not tx.claim_run(key, grid_id=grid.id, kind="visit", at=now):
                    continue
                text = (
                    f"工单 {ticket.label} 办结一天了，问题解决了吗？请回复一个数字打分："
                    "5 很满意 … 1 很不满意（1–2 分会重新办理）。"
                )
                message = OutboundMessage(
                    platform=ticket.platform,
                    chat_id=ticket.chat_id,
                    text=text,
                    mentions=tuple(Mention(r.user_id, r.name) for r in waiting),
                    dedupe_key=key,
                    not_before=self._routine(grid, now),
                )
                queued += tx.enqueue(masked(message), at=now) is not None
        return queued

    def run(self, occurrence: Occurrence, now: datetime) -> int:
        """Do one scheduled post, unless its key shows it was done; returns messages queued."""
        with self._store.transaction() as tx:
            grid = occurrence.grid
            if not tx.claim_run(occurrence.key, grid_id=grid.id, kind=occurrence.kind, at=now):
                return 0
            if occurrence.kind == "status":
                messages = self._status(tx, occurrence, now)
            else:
                messages = self._digest(tx, grid, now, weekly=occurrence.kind == "weekly")
            for number, message in enumerate(messages):
                not_before = None if message.direct else self._routine(grid, now)
                keyed = replace(
                    message, dedupe_key=f"{occurrence.key}:{number}", not_before=not_before
                )
                tx.enqueue(masked(keyed), at=now)
        if messages:
            _LOGGER.info("queued the %s of %s", occurrence.kind, grid.id)
        return len(messages)

    def _routine(self, grid: Grid, now: datetime) -> datetime | None:
        """When a routine group post may go out: after the quiet hours, if now is in them."""
        return quiet_until(now, grid.schedule.quiet_hours, self._zone)

    # --- status posts -----------------------------------------------------------------------

    def _previous(self, occurrence: Occurrence) -> datetime:
        """The time of the status post before this one (up to a week back)."""
        day = occurrence.at.date()
        for back in range(8):
            earlier = [
                o.at
                for o in self.occurrences(occurrence.grid, day - timedelta(days=back))
                if o.kind == "status" and o.at < occurrence.at
            ]
            if earlier:
                return max(earlier)
        return occurrence.at - timedelta(days=1)

    def _status(
        self, tx: StoreTransaction, occurrence: Occurrence, now: datetime
    ) -> list[OutboundMessage]:
        grid = occurrence.grid
        since = self._previous(occurrence)
        tickets = tx.list_tickets(street=self._config.street.name, grid_id=grid.id)
        active = [t for t in tickets if t.active]
        done = [
            t
            for t in tickets
            if t.state in (TicketState.RESOLVED, TicketState.CLOSED)
            and t.resolved_at is not None
            and since <= t.resolved_at < occurrence.at
        ]
        if not active and not done:
            return []  # nothing to say: say nothing
        local = occurrence.at
        lines = [f"【{grid.name} 工单进展 · {local.month}月{local.day}日 {local:%H:%M}】"]
        if active:
            lines.append(f"在办 {len(active)} 件：")
            lines += [self._status_line(t, now) for t in active[:STATUS_LIMIT]]
            if len(active) > STATUS_LIMIT:
                lines.append(f"……还有 {len(active) - STATUS_LIMIT} 件")
        if done:
            lines.append(f"上次播报以来办结 {len(done)} 件：")
            lines += [f"{t.label} {TRIAGE_WORDS[t.triage]} {tell.summary(t)}" for t in done]
        text = "\n".join(lines)
        return [
            OutboundMessage(platform=chat.platform.value, chat_id=chat.chat_id, text=text)
            for chat in grid.chats
        ]

    def _status_line(self, ticket: Ticket, now: datetime) -> str:
        state = STATE_WORDS[ticket.state]
        who = f"（{ticket.assignee_name}）" if ticket.assignee_name else ""
        late = " ⚠超期" if ticket.overdue(now) else ""
        kind = f"{TRIAGE_WORDS[ticket.triage]}·{state}"
        return f"{ticket.label} {kind} {tell.summary(ticket)}{who}{late}"

    # --- digests ----------------------------------------------------------------------------

    def digest(
        self, grid: Grid, now: datetime, *, weekly: bool = False
    ) -> tuple[str, GridStats, bytes | None]:
        """A grid's digest at `now`: its text, its figures and its chart (None without one)."""
        with self._store.transaction() as tx:
            return self._digest_of(tx, grid, now, weekly=weekly)

    def _digest_of(
        self, tx: StoreTransaction, grid: Grid, now: datetime, *, weekly: bool
    ) -> tuple[str, GridStats, bytes | None]:
        tickets = tx.list_tickets(street=self._config.street.name, grid_id=grid.id)
        if weekly:
            since = now - timedelta(days=7)
            stats = compute(tickets, since=since, until=now, now=now)
            before = compute(tickets, since=since - timedelta(days=7), until=since, now=now)
            text = render(stats, grid=grid.name, title="本周", zone=self._zone)
            text += "\n" + _week_over_week(stats, before)
            title = "本周"
        else:
            since = datetime.combine(now.astimezone(self._zone).date(), time(0), tzinfo=self._zone)
            stats = compute(tickets, since=since, until=now, now=now)
            text = render(stats, grid=grid.name, title="今日", zone=self._zone)
            title = "今日"
        majors = [t for t in tickets if t.active and t.triage is Triage.MAJOR and t.overdue(now)]
        if majors:
            text += "\n超期大事：" + "；".join(
                f"{t.label} {t.summary[:20]}（应于 {tell.deadline(t.resolve_by, self._zone)}）"
                for t in majors
                if t.resolve_by is not None
            )
        chart = self._chart(stats, grid.name, title) if self._chart else None
        return text, stats, chart

    def _digest(
        self, tx: StoreTransaction, grid: Grid, now: datetime, *, weekly: bool
    ) -> list[OutboundMessage]:
        text, _, chart = self._digest_of(tx, grid, now, weekly=weekly)
        heading = f"{grid.name}{'周报' if weekly else '日报'}"
        messages: list[OutboundMessage] = []
        for platform, chat_id, direct in self._leader_chats(grid):
            if chart is not None:
                messages.append(
                    OutboundMessage(
                        platform,
                        chat_id,
                        heading,
                        kind=MessageKind.IMAGE,
                        image=chart,
                        direct=direct,
                    )
                )
            messages.append(OutboundMessage(platform, chat_id, text, direct=direct))
        return messages

    def _leader_chats(self, grid: Grid) -> list[tuple[str, str, bool]]:
        """Where a grid's digest goes: each leader privately where the platform allows it,
        else the grid's group on that platform."""
        places: list[tuple[str, str, bool]] = []
        for member in grid.members:
            if member.role is not Role.LEADER:
                continue
            if member.platform.value in DIRECT_PLATFORMS:
                places.append((member.platform.value, member.user_id, True))
            else:
                places += [
                    (c.platform.value, c.chat_id, False)
                    for c in grid.chats
                    if c.platform == member.platform
                ]
        if not places:
            _LOGGER.info("grid %s has no leader in the config: no digest", grid.id)
        return list(dict.fromkeys(places))

    # --- overdue work -----------------------------------------------------------------------

    def overdue(self, now: datetime) -> int:
        """催办 the worker of each overdue ticket, then 督办 to the grid leader, then escalate
        one level up, each after its grace and each once per deadline; returns posts queued."""
        queued = 0
        with self._store.transaction() as tx:
            tickets = [
                t
                for t in tx.list_tickets(street=self._config.street.name, states=ACTIVE_STATES)
                if t.overdue(now)
            ]
        for ticket in tickets:
            grid = self._config.grid_of_chat(ticket.platform, ticket.chat_id)
            try:
                queued += self._chase(ticket, grid, now)
            except Exception:
                # One ticket in a state nobody foresaw must not stop the chase of the others.
                _LOGGER.exception("could not chase overdue %s; going on", ticket.label)
        return queued

    def _chase(self, ticket: Ticket, grid: Grid, now: datetime) -> int:
        deadline = ticket.respond_by if ticket.response_overdue(now) else ticket.resolve_by
        assert deadline is not None
        late = now - deadline
        schedule = grid.schedule
        steps = (
            ("remind", schedule.remind_after_hours),
            ("supervise", schedule.supervise_after_hours),
            ("escalate", schedule.escalate_after_hours),
        )
        queued = 0
        for step, hours in steps:
            if late < timedelta(hours=hours):
                break
            key = f"ticket:{ticket.id}:{step}:{deadline:%Y-%m-%dT%H:%M}"
            with self._store.transaction() as tx:
                if not tx.claim_run(key, grid_id=grid.id, kind=step, at=now):
                    continue
                current = tx.get_ticket(ticket.street, ticket.number)
                if current is None or not current.active:
                    continue
                message = self._chase_step(tx, step, current, grid, deadline, now)
                if message is not None:
                    not_before = None if ticket.urgent else self._routine(grid, now)
                    keyed = replace(message, dedupe_key=key, not_before=not_before)
                    tx.enqueue(masked(keyed), at=now)
                    queued += 1
        return queued

    def _chase_step(
        self,
        tx: StoreTransaction,
        step: str,
        ticket: Ticket,
        grid: Grid,
        deadline: datetime,
        now: datetime,
    ) -> OutboundMessage | None:
        if ticket.response_overdue(now):
            what = "响应"
        elif ticket.state is TicketState.REFERRED:
            what = "跟进"
        else:
            what = "办结"
        due = tell.deadline(deadline, self._zone)
        hours = max(1, int((now - deadline).total_seconds() // 3600))
        leaders = tell.staff(grid, ticket.platform, Role.LEADER)
        if step == "remind":
            move(tx, ticket, Action.REMINDED, actor=BOT, at=now, note=f"超过{what}时限（{due}）")
            text = (
                f"⏰ 催办：工单 {ticket.label}（{tell.kind(ticket)}）已超过{what}时限"
                f"（应于 {due}），请尽快处理。"
            )
            mentions = tell.handler(ticket, grid, ticket.platform)
        elif step == "supervise":
            move(
                tx,
                ticket,
                Action.SUPERVISED,
                actor=BOT,
                at=now,
                note=f"超期约 {hours} 小时，提请网格长督办",
            )
            text = (
                f"📌 督办：工单 {ticket.label}（{tell.kind(ticket)}）已超期约 {hours} 小时，"
                "请网格长督促办理。"
            )
            mentions = leaders + tell.handler(ticket, grid, ticket.platform)
        else:
            levels = list(Level)
            if ticket.level is Level.DISTRICT or ticket.triage is Triage.PRIVATE:
                # As high as a grid's bot can take it, or a private matter the resident acts on
                # themselves: the leader was asked to supervise, the digests keep showing it.
                return None
            level = levels[levels.index(ticket.level) + 1] if ticket.level else Level.COMMUNITY
            move(
                tx,
                ticket,
                Action.ESCALATED,
                actor=BOT,
                at=now,
                note=f"{LEVEL_WORDS[level]}：超期约 {hours} 小时，自动上报",
                level=level,
            )
            text = (
                f"🔺 工单 {ticket.label} 超期约 {hours} 小时仍未{what}，"
                f"已自动上报{LEVEL_WORDS[level]}。"
            )
            mentions = leaders + tell.followers(ticket)
        return OutboundMessage(
            platform=ticket.platform,
            chat_id=ticket.chat_id,
            text=text,
            mentions=tuple(dict.fromkeys(mentions)),
        )


def _week_over_week(now: GridStats, before: GridStats) -> str:
    """This week against the one before, in one line."""

    def change(current: float | None, previous: float | None, *, percent: bool = False) -> str:
        if current is None or previous is None:
            return "—"
        delta = current - previous
        return f"{delta:+.0%}" if percent else f"{delta:+.0f}"

    return (
        f"与上周比：新受理 {change(now.appeals, before.appeals)}，"
        f"办结 {change(now.resolved, before.resolved)}，"
        f"办结率 {change(now.closure_rate, before.closure_rate, percent=True)}，"
        f"满意率 {change(now.satisfaction, before.satisfaction, percent=True)}"
    )
