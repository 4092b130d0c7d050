"""How the bot words tickets for people: lines, dates, history, and who hears of a change."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Grid
from bot.domain import (
    LEVEL_WORDS,
    STATE_WORDS,
    TRIAGE_WORDS,
    Role,
    Ticket,
    TicketEvent,
    TicketState,
    Triage,
)
from bot.messages import Mention
from bot.pipeline import Context

PRIVATE_SUMMARY = "（私事，详情只告诉当事人）"
# Some platforms let a bot write privately only to people who wrote to it first.
DM_HINT = "（没收到的话，请先私聊网格助手一次）"
_WEEKDAYS = "一二三四五六日"

EVENT_WORDS = {
    "opened": "受理",
    "confirmed": "确认分类",
    "claimed": "签收",
    "assigned": "派单",
    "noted": "进展",
    "referred": "私事引导",
    "escalated": "上报",
    "reclassified": "改分类",
    "dismissed": "撤销（非诉求）",
    "resolved": "办结",
    "rated": "评价",
    "rated_low": "评价不满意，重办",
    "expired": "回访期满关闭（未评价）",
    "reopened": "重办",
    "merged": "合并",
    "cancelled": "居民撤销",
    "joined": "附议",
    "reminded": "催办",
    "supervised": "督办",
    "split": "从合并中拆分",
    "split_off": "拆分出一件",
    "left": "取消关注",
}


def age(since: datetime, now: datetime) -> str:
    """How long ago, in the words a gridworker would use."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分钟前" if minutes else "刚刚"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时前"
    return f"{minutes // (24 * 60)}天前"


def moment(when: datetime, zone: ZoneInfo) -> str:
    """`11月23日 09:05`, local time."""
    local = when.astimezone(zone)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def deadline(when: datetime, zone: ZoneInfo) -> str:
    """A deadline as people say it: `11月26日（周四）前` for the end of a day, else the time."""
    local = when.astimezone(zone)
    if (local.hour, local.minute) == (0, 0):
        day = local.date().fromordinal(local.date().toordinal() - 1)
        return f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）前"
    return f"{local.month}月{local.day}日 {local:%H:%M} 前"


def kind(ticket: Ticket) -> str:
    """`小事·物业设施`."""
    return f"{TRIAGE_WORDS[ticket.triage]}·{ticket.category}"


def summary(ticket: Ticket) -> str:
    """What the group may read of a ticket: a private matter shows its number only."""
    return PRIVATE_SUMMARY if ticket.triage is Triage.PRIVATE else ticket.summary


def followers(ticket: Ticket) -> list[Mention]:
    """Everyone who reported or joined the ticket, to be @-mentioned."""
    return [Mention(r.user_id, r.name) for r in ticket.reporters]


def staff(grid: Grid, platform: str, *roles: Role) -> list[Mention]:
    """The grid's gridworkers (or the given roles) on this platform, to be @-mentioned."""
    wanted = roles or (Role.GRIDWORKER,)
    return [
        Mention(m.user_id, m.name)
        for m in grid.members
        if m.role in wanted and m.platform == platform
    ]


def handler(ticket: Ticket, grid: Grid, platform: str) -> list[Mention]:
    """Who works the ticket: its assignee, else the grid's gridworkers."""
    if ticket.assignee_id:
        return [Mention(ticket.assignee_id, ticket.assignee_name)]
    return staff(grid, platform)


def list_line(ctx: Context, ticket: Ticket) -> str:
    """One ticket in a group list; a private matter shows its number only."""
    mark = ctx.grid.templates.urgent_mark if ticket.urgent else ""
    line = ctx.grid.templates.list_item.format(
        ticket=ticket.label,
        triage_word=TRIAGE_WORDS[ticket.triage],
        state_word=STATE_WORDS[ticket.state],
        summary=mark + summary(ticket),
        age=age(ticket.created_at, ctx.message.time),
    )
    if ticket.reports > 1:
        line += f" · {ticket.reports}人反映"
    if ticket.assignee_name and ticket.active:
        line += f" · {ticket.assignee_name}"
    if ticket.overdue(ctx.message.time):
        line += " ⚠超期"
    return line


def status(ticket: Ticket, zone: ZoneInfo, now: datetime, *, details: bool) -> str:
    """Where a ticket stands, in a few lines; `details` False leaves out what only the people
    involved may read (a private matter in a group)."""
    lines = [f"工单 {ticket.label}（{kind(ticket)}）{STATE_WORDS[ticket.state]}"]
    if details:
        lines.append(f"内容：{ticket.summary}")
    if ticket.assignee_name:
        lines.append(f"经办：{ticket.assignee_name}")
    if ticket.level is not None:
        ref = f"，编号 {ticket.external_ref}" if ticket.external_ref else ""
        lines.append(f"已上报{LEVEL_WORDS[ticket.level]}{ref}")
    if ticket.merged_into:
        lines.append(f"已并入 #{ticket.merged_into}")
    if ticket.active and ticket.resolve_by is not None:
        due = "跟进" if ticket.state is TicketState.REFERRED else "办结"
        late = "（已超期）" if ticket.overdue(now) else ""
        lines.append(f"应于 {deadline(ticket.resolve_by, zone)}{due}{late}")
    if ticket.state is TicketState.RESOLVED:
        lines.append(f"请回复 /rate {ticket.number} 1-5 评价办理结果。")
    if len(ticket.reporters) > 1:
        lines.append(f"共 {len(ticket.reporters)} 位居民反映")
    return "\n".join(lines)


def history(
    ticket: Ticket, events: list[TicketEvent], zone: ZoneInfo, now: datetime, *, details: bool
) -> str:
    """A ticket's full history for `/show`: its status, then every recorded change."""
    lines = [status(ticket, zone, now, details=details)]
    if ticket.respond_by is not None:
        responded = f"，{moment(ticket.responded_at, zone)} 已响应" if ticket.responded_at else ""
        lines.append(f"应响应：{deadline(ticket.respond_by, zone)}{responded}")
    if ticket.ratings:
        lines.append(
            "评价："
            + "；".join(
                f"{r.name} {r.score}分{'·' + r.comment if r.comment and details else ''}"
                for r in ticket.ratings
            )
        )
    lines.append("经过：")
    for event in events:
        note = f"：{event.note}" if event.note and (details or event.action == "opened") else ""
        if event.action == "opened" and not details:
            note = ""
        word = EVENT_WORDS.get(event.action, event.action)
        lines.append(f"  {moment(event.at, zone)} {event.actor_name} {word}{note}")
    return "\n".join(lines)
