"""The commands that work a grid's tickets from the chat: gridworkers' side of the loop."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot import tell
from bot.commands import (
    EVERYONE,
    STAFF,
    Access,
    CommandError,
    CommandSet,
    UsageError,
    deadlines_from_now,
    grid_ticket,
    meaningful,
    reopen_ticket,
    transition,
)
from bot.domain import (
    ACTIVE_STATES,
    CATEGORIES,
    LEVEL_WORDS,
    ROLE_WORDS,
    STATE_WORDS,
    TRIAGE_WORDS,
    LabelledExample,
    Level,
    Ticket,
    TicketState,
    Triage,
)
from bot.lifecycle import Action, move
from bot.messages import Mention
from bot.pipeline import Context
from bot.residents import register_resident_commands
from bot.sla import deadlines, follow_up_due
from bot.stats import register_stats

# A group message stays readable on a phone: longer lists end with how many were left out.
LIST_LIMIT = 20

_LIST_FILTERS = {
    "open": "open",
    "在办": "open",
    "mine": "mine",
    "我的": "mine",
    "overdue": "overdue",
    "超期": "overdue",
    "major": "major",
    "大事": "major",
    "minor": "minor",
    "小事": "minor",
    "private": "private",
    "私事": "private",
    "pending": "pending",
    "待确认": "pending",
}
_FILTER_WORDS = {
    "open": "在办",
    "mine": "我经办的",
    "overdue": "超期",
    "major": "在办大事",
    "minor": "在办小事",
    "private": "在办私事",
    "pending": "待确认",
}
_LEVELS = {level.value: level for level in Level} | {
    "社区": Level.COMMUNITY,
    "街道": Level.STREET,
    "区": Level.DISTRICT,
    "区级": Level.DISTRICT,
    "区里": Level.DISTRICT,
}
# An external reference at the end of /escalate: a hotline or system number such as
# 12345-20261201-0042 or GD2026120100042 (letters, digits and dashes, with a digit in it).
_REFERENCE = re.compile(r"^(?:编号[:：]?)?(?=[A-Za-z0-9-]*\d)([A-Za-z0-9][A-Za-z0-9-]{3,39})$")
_MENTION_TEXT = re.compile(r"@([^\s@\u2005]{1,24})")


def the_ticket(ctx: Context) -> Ticket:
    """The ticket the permission stage checked for this command."""
    assert ctx.ticket is not None, "declare the command with ticket=Access..."
    return ctx.ticket


def build_commands() -> CommandSet:
    """The command set of a grid group: residents', gridworkers' and leaders' commands."""
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

    register_resident_commands(commands)
    register_staff_commands(commands)
    register_stats(commands)
    return commands


def register_staff_commands(commands: CommandSet) -> None:
    """Gridworkers' commands (leaders and admins may use them too)."""

    @commands.command(
        "list",
        "在办",
        roles=STAFF,
        usage="/list [open|mine|overdue|major|minor|private|pending]",
        example="/list overdue",
        summary="查看本网格的工单：在办、我经办的、超期、大事、小事、私事、待确认",
    )
    def list_tickets(ctx: Context, args: str) -> None:
        words = args.split()
        if len(words) > 1 or (words and words[0].lower() not in _LIST_FILTERS):
            raise UsageError(f"不认识“{args[:12]}”。")
        which = _LIST_FILTERS[words[0].lower()] if words else "open"
        now = ctx.message.time
        tickets = [
            t
            for t in ctx.tx.list_tickets(
                street=ctx.street, grid_id=ctx.grid.id, states=ACTIVE_STATES
            )
            if (
                which == "open"
                or (which == "mine" and t.assignee_id == ctx.message.sender_id)
                or (which == "overdue" and t.overdue(now))
                or (which == "pending" and t.state is TicketState.PENDING)
                or (which in ("major", "minor", "private") and t.triage.value == which)
            )
        ]
        templates = ctx.grid.templates
        if not tickets:
            ctx.reply(f"{ctx.grid.name}目前没有{_FILTER_WORDS[which]}的工单。")
            return
        header = templates.list_header.format(grid=ctx.grid.name, count=len(tickets))
        if which != "open":
            header = f"{ctx.grid.name}{_FILTER_WORDS[which]}工单 {len(tickets)} 件："
        lines = [header] + [tell.list_line(ctx, t) for t in tickets[:LIST_LIMIT]]
        if len(tickets) > LIST_LIMIT:
            lines.append(f"……还有 {len(tickets) - LIST_LIMIT} 件，最早的排在前面。")
        ctx.reply("\n".join(lines))

    @commands.command(
        "show",
        "详情",
        roles=STAFF,
        usage="/show 工单号",
        example="/show 12",
        summary="查看工单的全部经过",
        ticket=Access.STAFF,
    )
    def show(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        events = list(ctx.tx.events(ticket.id))
        now = ctx.message.time
        if ticket.triage is Triage.PRIVATE:
            ctx.tell(
                ctx.message.sender_id, tell.history(ticket, events, ctx.zone, now, details=True)
            )
            ctx.reply(f"{ticket.label} 是私事，经过已私信发给您。")
            return
        ctx.reply(tell.history(ticket, events, ctx.zone, now, details=True))

    @commands.command(
        "claim",
        "签收",
        roles=STAFF,
        usage="/claim 工单号",
        example="/claim 12",
        summary="签收工单，由您负责办理",
        ticket=Access.STAFF,
    )
    def claim(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        working = (TicketState.CLAIMED, TicketState.IN_PROGRESS, TicketState.ESCALATED)
        if ticket.assignee_id == ctx.message.sender_id and ticket.state in working:
            raise CommandError(f"工单 {ticket.label} 已经由您签收了。")
        ticket = _self_assign(ctx, ticket)
        ctx.reply(
            f"工单 {ticket.label} 已由{ctx.message.sender_name}签收，会尽快处理。",
            mentions=tell.followers(ticket),
        )

    @commands.command(
        "assign",
        "派单",
        roles=STAFF,
        usage="/assign 工单号 @网格员",
        example="/assign 12 @网格员小李",
        summary="把工单派给本网格的一位网格员",
        ticket=Access.STAFF,
    )
    def assign(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        worker = _assignee(ctx, args)
        if worker.user_id == ticket.assignee_id:
            raise CommandError(f"工单 {ticket.label} 已经由{worker.name}经办。")
        ticket = transition(
            ctx,
            ticket,
            Action.ASSIGNED,
            note=f"派给 {worker.name}",
            assignee_id=worker.user_id,
            assignee_name=worker.name,
        )
        ctx.reply(
            f"工单 {ticket.label} 已派给{worker.name}办理（{ctx.message.sender_name}派单）。",
            mentions=[Mention(worker.user_id, worker.name), *tell.followers(ticket)],
        )

    @commands.command(
        "note",
        "进展",
        roles=STAFF,
        usage="/note 工单号 进展",
        example="/note 12 已联系物业，明天上午来修",
        summary="记录办理进展，报告人会收到通知",
        ticket=Access.STAFF,
    )
    def note(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        if not meaningful(args):
            raise UsageError("请写上进展。")
        ticket = transition(ctx, ticket, Action.NOTED, note=args)
        if ticket.assignee_id == "":
            ticket = _self_assign(ctx, ticket)
        _tell_followers(
            ctx,
            ticket,
            public=f"工单 {ticket.label} 进展：{args}（{ctx.message.sender_name}）",
            private=f"您反映的 {ticket.label} 有新进展：{args}（{ctx.message.sender_name}）",
        )

    @commands.command(
        "done",
        "办结",
        roles=STAFF,
        usage="/done 工单号 处理结果",
        example="/done 12 楼道杂物已清理",
        summary="办结工单，写明怎么解决的；报告人会收到通知并请他们评价",
        ticket=Access.STAFF,
    )
    def resolve(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        if not meaningful(args):
            raise UsageError("请写上处理结果，报告人会看到。")
        ticket = transition(ctx, ticket, Action.RESOLVED, note=args)
        templates = ctx.grid.templates
        visit = templates.return_visit.format(ticket=ticket.label, number=ticket.number)
        worker = ctx.message.sender_name
        if ticket.triage is Triage.PRIVATE:
            # A private matter's details stay with the people involved; the audit keeps them.
            ctx.reply(
                templates.done_private.format(ticket=ticket.label, worker=worker) + visit,
                mentions=tell.followers(ticket),
            )
            for reporter in ticket.reporters:
                ctx.tell(reporter.user_id, f"您反映的 {ticket.label} 已办结：{args}（{worker}）")
            return
        ctx.reply(
            templates.done.format(ticket=ticket.label, worker=worker, result=args) + visit,
            mentions=tell.followers(ticket),
        )

    @commands.command(
        "refer",
        "引导",
        roles=STAFF,
        usage="/refer 工单号 办理建议",
        example="/refer 12 可找社区推荐的家政公司，电话在公告栏",
        summary="私事：记下给居民的办理建议（自己办、找邻里、找市场服务），之后跟进",
        ticket=Access.STAFF,
    )
    def refer(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        if ticket.triage is not Triage.PRIVATE:
            raise CommandError(
                f"工单 {ticket.label} 是{TRIAGE_WORDS[ticket.triage]}，/refer 只用于私事；"
                "进展请用 /note，办好了用 /done。"
            )
        if not meaningful(args):
            raise UsageError("请写上给居民的办理建议。")
        follow_up = follow_up_due(ctx.message.time, sla=ctx.grid.sla, zone=ctx.zone)
        ticket = transition(ctx, ticket, Action.REFERRED, note=args, resolve_by=follow_up)
        due = tell.deadline(follow_up, ctx.zone)
        ctx.reply(
            f"{ticket.label} 的办理建议已私信发给您{tell.DM_HINT}，"
            f"{due}网格员会再问问您办得怎么样。",
            mentions=tell.followers(ticket),
        )
        for reporter in ticket.reporters:
            ctx.tell(
                reporter.user_id,
                f"关于您反映的 {ticket.label}，{ctx.message.sender_name}的建议：{args}",
            )

    @commands.command(
        "escalate",
        "上报",
        roles=STAFF,
        usage="/escalate 工单号 community|street|district 原因 [编号]",
        example="/escalate 12 street 涉及市政管网，社区无权处理 12345-1201-0042",
        summary="上报社区、街道或区级部门，写明原因，可附 12345 等编号",
        ticket=Access.STAFF,
    )
    def escalate(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        words = args.split()
        if not words:
            raise UsageError("请写上上报到哪一级和原因。")
        level = _LEVELS.get(words[0].lower())
        if level is None:
            raise UsageError(
                f"“{words[0][:8]}”不是上报层级，"
                "可选 community（社区）、street（街道）、district（区级部门）。"
            )
        reference = ""
        if len(words) > 2 and (match := _REFERENCE.match(words[-1])):
            reference, words = match[1], words[:-1]
        reason = " ".join(words[1:])
        if not meaningful(reason):
            raise UsageError("请写上上报的原因。")
        levels = list(Level)
        if ticket.level is not None and levels.index(level) <= levels.index(ticket.level):
            raise CommandError(
                f"工单 {ticket.label} 已上报{LEVEL_WORDS[ticket.level]}，只能再往上报。"
            )
        ref_note = f"（编号 {reference}）" if reference else ""
        ticket = transition(
            ctx,
            ticket,
            Action.ESCALATED,
            note=f"{LEVEL_WORDS[level]}：{reason}{ref_note}",
            level=level,
            external_ref=reference or ticket.external_ref,
        )
        _tell_followers(
            ctx,
            ticket,
            public=f"工单 {ticket.label} 已上报{LEVEL_WORDS[level]}：{reason}{ref_note}",
            private=f"您反映的 {ticket.label} 已上报{LEVEL_WORDS[level]}：{reason}{ref_note}",
        )

    @commands.command(
        "confirm",
        "确认",
        roles=STAFF,
        usage="/confirm 工单号",
        example="/confirm 12",
        summary="确认我对待确认工单的分类，开始办理",
        ticket=Access.STAFF,
    )
    def confirm(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        if ticket.state is not TicketState.PENDING:
            state = STATE_WORDS[ticket.state]
            raise CommandError(f"工单 {ticket.label} {state}，不用确认；要改分类请用 /reclassify。")
        ticket = transition(ctx, ticket, Action.CONFIRMED)
        _keep_example(ctx, ticket, source="confirmed")
        ctx.reply(f"工单 {ticket.label} 已确认为{tell.kind(ticket)}，开始办理。")

    @commands.command(
        "reclassify",
        "纠正",
        roles=STAFF,
        usage="/reclassify 工单号 major|minor|private|none [分类]",
        example="/reclassify 12 major 市政设施",
        summary="纠正工单的三事分流（大事、小事、私事、闲聊）和分类；闲聊表示不是诉求，工单撤销",
        ticket=Access.STAFF,
    )
    def reclassify(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        parts = args.split()
        if len(parts) not in (1, 2):
            raise UsageError("请写上新的分流。")
        triage = _triage(parts[0])
        category = parts[1] if len(parts) == 2 else ticket.category
        if triage is Triage.NONE:
            category = "其他"
        if category not in CATEGORIES:
            raise UsageError(f"没有“{category[:8]}”这个分类，可选：{'、'.join(CATEGORIES)}。")
        note = f"{ticket.triage.value}/{ticket.category} → {triage.value}/{category}"
        if triage is Triage.NONE:
            ticket = transition(ctx, ticket, Action.DISMISSED, note=note, category=category)
            _keep_example(ctx, ticket, source="corrected", triage=Triage.NONE)
            ctx.reply(f"好的，{ticket.label} 不是需要办理的诉求，已撤销。谢谢纠正，我会学着分辨。")
            return
        due = deadlines(
            triage=triage,
            urgent=ticket.urgent,
            opened_at=ticket.created_at,
            sla=ctx.grid.sla,
            zone=ctx.zone,
        )
        ticket = transition(
            ctx,
            ticket,
            Action.RECLASSIFIED,
            note=note,
            triage=triage,
            category=category,
            respond_by=due.respond_by,
            resolve_by=due.resolve_by,
        )
        _keep_example(ctx, ticket, source="corrected")
        ctx.reply(f"好的，{ticket.label} 改为{tell.kind(ticket)}，谢谢纠正，我会记住。")

    @commands.command(
        "merge",
        "合并",
        roles=STAFF,
        usage="/merge 工单号 并入的工单号",
        example="/merge 14 12",
        summary="把重复反映的工单并入另一件，反映人一并关注那一件",
        ticket=Access.STAFF,
    )
    def merge(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        if not args.strip():
            raise UsageError("请写上要并入的工单号。")
        into = grid_ticket(ctx, args)
        if into.id == ticket.id:
            raise UsageError("不能把工单并入它自己。")
        if not into.active:
            raise CommandError(
                f"工单 {into.label} {STATE_WORDS[into.state]}，不能再并入别的工单；"
                f"需要的话先 /reopen {into.number}。"
            )
        ticket = transition(
            ctx, ticket, Action.MERGED, note=f"并入 {into.label}", merged_into=into.number
        )
        joined = [
            r for r in ticket.reporters if ctx.tx.add_reporter(into.id, replace(r, via=ticket.id))
        ]
        into = move(
            ctx.tx,
            into,
            Action.JOINED,
            actor=ctx.actor,
            at=ctx.message.time,
            note=f"{ticket.label} 并入，{len(joined)} 位居民随之关注",
        )
        ctx.reply(
            f"{ticket.label} 与 {into.label} 是同一件事，已并入 {into.label}"
            f"（共{len(into.reporters)}位居民反映），进展会在 {into.label} 通知大家。",
            mentions=tell.followers(ticket),
        )

    @commands.command(
        "split",
        "拆分",
        roles=STAFF,
        usage="/split 工单号 [原因]",
        example="/split 14 不是同一部电梯",
        summary="撤销一次错误的合并：被并入的工单拆分出来单独办理",
        ticket=Access.STAFF,
    )
    def split(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        if ticket.state is not TicketState.MERGED or ticket.merged_into is None:
            raise CommandError(f"工单 {ticket.label} 没有被合并，不用拆分。")
        was_in = f"#{ticket.merged_into}"
        into = ctx.tx.get_ticket(ctx.street, ticket.merged_into)
        due = deadlines_from_now(ctx, ticket)
        note = args or f"不是 {was_in} 的同一件事"
        ticket = transition(
            ctx,
            ticket,
            Action.SPLIT,
            note=note,
            merged_into=None,
            respond_by=due.respond_by,
            resolve_by=due.resolve_by,
        )
        if into is not None:
            left = ctx.tx.remove_followers(into.id, via=ticket.id)
            move(
                ctx.tx,
                into,
                Action.SPLIT_OFF,
                actor=ctx.actor,
                at=ctx.message.time,
                note=f"{ticket.label} 拆分出去，{left} 位居民随之离开：{note}",
            )
        ctx.reply(
            f"{ticket.label} 与 {was_in} 不是同一件事，已拆分出来单独办理，进展会单独告诉您。",
            mentions=tell.followers(ticket),
        )

    @commands.command(
        "reopen",
        "重办",
        roles=STAFF,
        usage="/reopen 工单号 [原因]",
        example="/reopen 12 居民说又坏了",
        summary="重新办理已办结或已关闭的工单",
        ticket=Access.STAFF,
    )
    def reopen(ctx: Context, args: str) -> None:
        ticket = the_ticket(ctx)
        ticket = reopen_ticket(ctx, ticket, Action.REOPENED, note=args)
        ctx.reply(
            f"工单 {ticket.label} 重新办理，应于 {tell.deadline(_due(ticket), ctx.zone)}办结。",
            mentions=[
                *tell.handler(ticket, ctx.grid, ctx.message.platform),
                *tell.followers(ticket),
            ],
        )


def _due(ticket: Ticket) -> datetime:
    assert ticket.resolve_by is not None
    return ticket.resolve_by


def _self_assign(ctx: Context, ticket: Ticket) -> Ticket:
    """The sender takes the ticket (签收); whoever notes progress on an unassigned ticket is
    its worker from then on, too."""
    return transition(
        ctx,
        ticket,
        Action.CLAIMED,
        assignee_id=ctx.message.sender_id,
        assignee_name=ctx.message.sender_name,
    )


def _tell_followers(ctx: Context, ticket: Ticket, *, public: str, private: str) -> None:
    """Tell the ticket's followers of a change: in the group, or for a private matter, the
    number in the group and the details in a private message."""
    if ticket.triage is Triage.PRIVATE:
        ctx.reply(
            f"{ticket.label} 有新情况，已私信告诉您{tell.DM_HINT}。",
            mentions=tell.followers(ticket),
        )
        for reporter in ticket.reporters:
            ctx.tell(reporter.user_id, private)
        return
    ctx.reply(public, mentions=tell.followers(ticket))


def _assignee(ctx: Context, args: str) -> Mention:
    """The grid's staff member named in `/assign N @someone`."""
    team = {
        m.user_id: m
        for m in ctx.grid.members
        if m.platform == ctx.message.platform and m.role.is_staff
    }
    named = [team[i] for i in ctx.message.mentions if i in team]
    if not named:
        names = _MENTION_TEXT.findall(args)
        if not names:
            raise UsageError("请 @ 要派给的网格员。")
        named = [m for m in team.values() if m.name in names]
    if not named:
        raise CommandError("只能派给本网格的网格员、网格长，请 @ 他们在群里的名字。")
    if len(named) > 1:
        raise UsageError("一次只能派给一位。")
    member = named[0]
    return Mention(member.user_id, member.name)


def _triage(word: str) -> Triage:
    names = {t.value: t for t in Triage} | {TRIAGE_WORDS[t]: t for t in Triage}
    try:
        return names[word.lower()]
    except KeyError:
        raise UsageError(
            f"“{word[:8]}”不是分流，"
            "可选 major（大事）、minor（小事）、private（私事）、none（闲聊）。"
        ) from None


def _keep_example(
    ctx: Context, ticket: Ticket, *, source: str, triage: Triage | None = None
) -> None:
    """Keep the ticket's message with the labels a gridworker gave it, for the next training."""
    example = LabelledExample(
        text=ctx.tx.ticket_text(ticket.id),
        triage=triage or ticket.triage,
        category=ticket.category,
        urgent=ticket.urgent,
        source=source,
    )
    ctx.tx.add_example(
        example, ticket_id=ticket.id, actor_id=ctx.message.sender_id, at=ctx.message.time
    )
