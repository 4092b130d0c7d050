"""Residents' side of the loop: their own tickets, their status, cancelling, and the return
visit (回访): a rating 1–5 by `/rate` or by replying with the digit alone."""

from __future__ import annotations

import re
from datetime import timedelta

from bot import tell
from bot.commands import (
    EVERYONE,
    Access,
    CommandError,
    CommandSet,
    UsageError,
    reopen_ticket,
    transition,
)
from bot.domain import Closure, Rating, Ticket, TicketState, Triage
from bot.lifecycle import Action
from bot.pipeline import Context

_SCORE = re.compile(r"^([1-5１-５])\s*(?:分|星)?$")
_SCORE_THEN_WORDS = re.compile(r"^([1-5１-５])\s*(?:分|星)?(?:[\s,，:：;；]+(.*))?$", re.DOTALL)
MY_LIMIT = 10


def register_resident_commands(commands: CommandSet) -> None:
    """Commands for everyone about their own tickets."""

    @commands.command(
        "my", "我的工单", roles=EVERYONE, usage="/my", summary="查看您反映过或关注的问题"
    )
    def my_tickets(ctx: Context, args: str) -> None:
        if args:
            raise UsageError("/my 不带参数。")
        tickets = [
            t
            for t in ctx.tx.tickets_of(
                street=ctx.street, platform=ctx.message.platform, user_id=ctx.message.sender_id
            )
            if t.grid_id == ctx.grid.id
        ]
        if not tickets:
            ctx.reply("您在本群还没有反映过问题。有事直接在群里说，我会登记成工单。")
            return
        recent = sorted(tickets, key=lambda t: (t.active, t.updated_at), reverse=True)[:MY_LIMIT]
        lines = [f"您反映过或关注的问题 {len(tickets)} 件："]
        lines += [tell.list_line(ctx, t) for t in recent]
        if len(tickets) > MY_LIMIT:
            lines.append(f"……只列出最近的 {MY_LIMIT} 件。")
        ctx.reply("\n".join(lines))

    @commands.command(
        "status",
        "进度",
        roles=EVERYONE,
        usage="/status 工单号",
        example="/status 12",
        summary="查看一件工单办到哪一步了",
        ticket=Access.FOLLOWER,
    )
    def status(ctx: Context, args: str) -> None:
        ticket = _ticket(ctx)
        now = ctx.message.time
        if ticket.triage is Triage.PRIVATE:
            ctx.tell(ctx.message.sender_id, tell.status(ticket, ctx.zone, now, details=True))
            ctx.reply(f"{ticket.label} 的进度已私信发给您{tell.DM_HINT}。")
            return
        ctx.reply(tell.status(ticket, ctx.zone, now, details=True))

    @commands.command(
        "rate",
        "评价",
        roles=EVERYONE,
        usage="/rate 工单号 1-5 [意见]",
        example="/rate 12 5 修得很快",
        summary="为办结的工单打分：5 很满意 … 1 很不满意，1–2 分会重新办理",
        ticket=Access.REPORTER,
    )
    def rate(ctx: Context, args: str) -> None:
        match = _SCORE_THEN_WORDS.match(args.strip())
        if match is None:
            raise UsageError("请写上 1 到 5 的分数。")
        rate_ticket(ctx, _ticket(ctx), _digit(match[1]), (match[2] or "").strip())

    @commands.command(
        "cancel",
        "撤销",
        roles=EVERYONE,
        usage="/cancel 工单号 [原因]",
        example="/cancel 12 已经自己修好了",
        summary="撤销您反映的问题（比如已经自己解决了）",
        ticket=Access.REPORTER,
    )
    def cancel(ctx: Context, args: str) -> None:
        ticket = _ticket(ctx)
        if ticket.reports > 1:
            # Others reported it too: only the sender stops following it.
            ctx.tx.remove_reporter(ticket.id, ctx.message.platform, ctx.message.sender_id)
            transition(ctx, ticket, Action.LEFT, note=args or "不再关注")
            ctx.reply(f"好的，您不再关注 {ticket.label}；其他居民反映的问题会继续办理。")
            return
        ticket = transition(ctx, ticket, Action.CANCELLED, note=args)
        ctx.reply(
            f"好的，{ticket.label} 已撤销。以后有事随时在群里说。",
            mentions=tell.handler(ticket, ctx.grid, ctx.message.platform),
        )


def rating_reply(ctx: Context) -> bool:
    """The pipeline stage for the return visit: a resident's message that is one digit 1–5
    rates the ticket of theirs most recently resolved in this chat and not yet rated by them.
    Any other "5" is left to the later stages."""
    match = _SCORE.match(ctx.message.text.strip())
    if match is None or ctx.command is not None:
        return False
    reply_to = ctx.message.reply_to
    if reply_to and not ctx.tx.is_bot_message(ctx.message.platform, ctx.message.chat_id, reply_to):
        return False  # "3" in answer to a neighbour's question is not a rating
    window = timedelta(days=ctx.grid.sla.return_visit_days)
    waiting = [
        t
        for t in ctx.tx.tickets_of(
            street=ctx.street, platform=ctx.message.platform, user_id=ctx.message.sender_id
        )
        if t.chat_id == ctx.message.chat_id
        and t.state in (TicketState.RESOLVED, TicketState.CLOSED)
        and t.resolved_at is not None
        and ctx.message.time - t.resolved_at <= window
        and not any(r.user_id == ctx.message.sender_id for r in t.ratings)
    ]
    if not waiting:
        return False
    ticket = max(waiting, key=lambda t: t.resolved_at or t.updated_at)
    rate_ticket(ctx, ticket, _digit(match[1]), "")
    return True


def rate_ticket(ctx: Context, ticket: Ticket, score: int, comment: str) -> None:
    """Record a reporter's rating: 3–5 closes the ticket as solved, 1–2 reopens it and tells
    its gridworker."""
    if ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED):
        raise CommandError(f"工单 {ticket.label} 还没有办结，办结后再请您评价。")
    rating = Rating(
        platform=ctx.message.platform,
        user_id=ctx.message.sender_id,
        name=ctx.message.sender_name,
        score=score,
        comment=comment,
        at=ctx.message.time,
    )
    ctx.tx.add_rating(ticket.id, rating)
    note = f"{score}分" + (f"：{comment}" if comment else "")
    if score <= 2:
        ticket = reopen_ticket(ctx, ticket, Action.RATED_LOW, note=note)
        ctx.reply(
            f"抱歉没能让您满意。{ticket.label} 已重新办理，网格员会再联系您。",
            mentions=tell.handler(ticket, ctx.grid, ctx.message.platform),
        )
        return
    closure = ticket.closure if ticket.state is TicketState.CLOSED else Closure.RATED
    if ticket.closure is Closure.UNRATED:
        closure = Closure.RATED
    transition(ctx, ticket, Action.RATED, note=note, closure=closure)
    ctx.reply(f"谢谢您的评价（{score}分）！{ticket.label} 已办结归档。")


def _ticket(ctx: Context) -> Ticket:
    assert ctx.ticket is not None
    return ctx.ticket


def _digit(text: str) -> int:
    return int(text.translate(str.maketrans("１２３４５", "12345")))
