"""The commands that work a grid's tickets from the chat."""

from __future__ import annotations

from datetime import datetime

from bot.commands import (
    EVERYONE,
    STAFF,
    CommandError,
    CommandSet,
    UsageError,
    grid_ticket,
    meaningful,
    split_ticket_args,
)
from bot.domain import (
    ACTIVE_STATES,
    CATEGORIES,
    ROLE_WORDS,
    STATE_WORDS,
    TRIAGE_WORDS,
    LabelledExample,
    Ticket,
    TicketState,
    Triage,
)
from bot.messages import Mention
from bot.pipeline import Context

PRIVATE_SUMMARY = "（私事，详情只告诉当事人）"
# A group message stays readable on a phone: longer lists end with how many were left out.
LIST_LIMIT = 20


def age(since: datetime, now: datetime) -> str:
    """How long ago, in the words a gridworker would use."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分钟前" if minutes else "刚刚"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时前"
    return f"{minutes // (24 * 60)}天前"


def list_line(ctx: Context, ticket: Ticket) -> str:
    """One ticket in a group list; a private matter shows its number only."""
    summary = PRIVATE_SUMMARY if ticket.triage is Triage.PRIVATE else ticket.summary
    mark = ctx.grid.templates.urgent_mark if ticket.urgent else ""
    return ctx.grid.templates.list_item.format(
        ticket=ticket.label,
        triage_word=TRIAGE_WORDS[ticket.triage],
        state_word=STATE_WORDS[ticket.state],
        summary=mark + summary,
        age=age(ticket.created_at, ctx.message.time),
    )


def build_commands() -> CommandSet:
    """The command set of a grid group."""
    commands = CommandSet()

    @commands.command(
        "help", "帮助", roles=EVERYONE, usage="/help", summary="看看我能做什么、您可以用哪些命令"
    )
    def show_help(ctx: Context, args: str) -> None:
        lines = [ctx.grid.templates.help_header.format(role_word=ROLE_WORDS[ctx.role])]
        for command in commands.visible_to(ctx.role):
            alias = f"（/{command.aliases[0]}）" if command.aliases else ""
            lines.append(f"{command.usage}{alias}：{command.summary}")
        ctx.reply("\n".join(lines))

    @commands.command("list", "在办", roles=STAFF, usage="/list", summary="查看本网格在办的工单")
    def list_open(ctx: Context, args: str) -> None:
        if args:
            raise UsageError("/list 目前不带参数。")
        tickets = ctx.tx.list_tickets(street=ctx.street, grid_id=ctx.grid.id, states=ACTIVE_STATES)
        templates = ctx.grid.templates
        if not tickets:
            ctx.reply(templates.list_empty.format(grid=ctx.grid.name))
            return
        lines = [templates.list_header.format(grid=ctx.grid.name, count=len(tickets))]
        lines += [list_line(ctx, t) for t in tickets[:LIST_LIMIT]]
        if len(tickets) > LIST_LIMIT:
            lines.append(f"……还有 {len(tickets) - LIST_LIMIT} 件，最早的排在前面。")
        ctx.reply("\n".join(lines))

    @commands.command(
        "done",
        "办结",
        roles=STAFF,
        usage="/done 工单号 处理结果",
        example="/done 12 楼道杂物已清理",
        summary="办结工单，写明怎么解决的，报告人会收到通知",
    )
    def resolve(ctx: Context, args: str) -> None:
        number, result = split_ticket_args(args)
        if not number:
            raise UsageError("请写上工单号和处理结果。")
        ticket = grid_ticket(ctx, number)
        if not meaningful(result):
            raise UsageError("请写上处理结果，报告人会看到。")
        if ticket.state not in ACTIVE_STATES:
            raise CommandError(f"工单 {ticket.label} {STATE_WORDS[ticket.state]}，不用再办结。")
        ticket = ctx.tx.change_state(
            ticket.id,
            to=TicketState.RESOLVED,
            actor_id=ctx.message.sender_id,
            actor_name=ctx.message.sender_name,
            action="resolved",
            note=result,
            at=ctx.message.time,
        )
        ctx.ticket_id = ticket.id
        templates = ctx.grid.templates
        # A private matter's details stay with the people involved; the audit event keeps them.
        text = (
            templates.done_private.format(ticket=ticket.label, worker=ctx.message.sender_name)
            if ticket.triage is Triage.PRIVATE
            else templates.done.format(
                ticket=ticket.label, worker=ctx.message.sender_name, result=result
            )
        )
        ctx.reply(text, mentions=[Mention(r.user_id, r.name) for r in ticket.reporters])

    @commands.command(
        "confirm",
        "确认",
        roles=STAFF,
        usage="/confirm 工单号",
        example="/confirm 12",
        summary="确认我对待确认工单的分类，开始办理",
    )
    def confirm(ctx: Context, args: str) -> None:
        ticket = grid_ticket(ctx, args)
        if ticket.state is not TicketState.PENDING:
            state = STATE_WORDS[ticket.state]
            raise CommandError(f"工单 {ticket.label} {state}，不用确认；要改分类请用 /reclassify。")
        _relabel(ctx, ticket, ticket.triage, ticket.category, source="confirmed")
        kind = f"{TRIAGE_WORDS[ticket.triage]}·{ticket.category}"
        ctx.reply(f"工单 {ticket.label} 已确认为{kind}，开始办理。")

    @commands.command(
        "reclassify",
        "纠正",
        roles=STAFF,
        usage="/reclassify 工单号 大事|小事|私事|闲聊 [分类]",
        example="/reclassify 12 major 市政设施",
        summary="纠正工单的三事分流和分类；闲聊表示不是诉求，工单撤销",
    )
    def reclassify(ctx: Context, args: str) -> None:
        parts = args.split()
        if len(parts) not in (2, 3):
            raise UsageError("请写上工单号和新的分流。")
        ticket = grid_ticket(ctx, parts[0])
        triage = _triage(parts[1])
        category = parts[2] if len(parts) == 3 else ticket.category
        if triage is Triage.NONE:
            category = "其他"
        if category not in CATEGORIES:
            raise UsageError(f"没有“{category[:8]}”这个分类，可选：{'、'.join(CATEGORIES)}。")
        if ticket.state not in ACTIVE_STATES:
            raise CommandError(f"工单 {ticket.label} {STATE_WORDS[ticket.state]}，不能再改分类。")
        _relabel(ctx, ticket, triage, category, source="corrected")
        if triage is Triage.NONE:
            ctx.reply(f"好的，{ticket.label} 不是需要办理的诉求，已撤销。谢谢纠正，我会学着分辨。")
        else:
            ctx.reply(
                f"好的，{ticket.label} 改为{TRIAGE_WORDS[triage]}·{category}，谢谢纠正，我会记住。"
            )

    return commands


def _triage(word: str) -> Triage:
    names = {t.value: t for t in Triage} | {TRIAGE_WORDS[t]: t for t in Triage}
    try:
        return names[word.lower()]
    except KeyError:
        raise UsageError(f"“{word[:8]}”不是分流，可选 大事、小事、私事、闲聊。") from None


def _relabel(ctx: Context, ticket: Ticket, triage: Triage, category: str, *, source: str) -> None:
    """Set the ticket's labels and keep the message as a training example."""
    to = TicketState.DISMISSED if triage is Triage.NONE else TicketState.OPEN
    ctx.tx.reclassify(
        ticket.id,
        triage=triage,
        category=category,
        to=to,
        actor_id=ctx.message.sender_id,
        actor_name=ctx.message.sender_name,
        at=ctx.message.time,
    )
    example = LabelledExample(
        text=ctx.tx.ticket_text(ticket.id),
        triage=triage,
        category=category,
        urgent=ticket.urgent,
        source=source,
    )
    ctx.tx.add_example(
        example, ticket_id=ticket.id, actor_id=ctx.message.sender_id, at=ctx.message.time
    )
    ctx.ticket_id = ticket.id
