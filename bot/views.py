"""Tickets as people read them: an aligned table for the terminal, JSON for scripts."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from bot.domain import STATE_WORDS, TRIAGE_WORDS, Ticket
from bot.messages import OutboundMessage


def width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def clip(text: str, columns: int) -> str:
    """`text` cut to fit `columns` terminal columns, with an ellipsis when cut."""
    if width(text) <= columns:
        return text
    out = ""
    for char in text:
        if width(out + char) > columns - 1:
            break
        out += char
    return out + "…"


def _local(when: datetime | None, zone: tzinfo) -> str:
    return when.astimezone(zone).strftime("%m-%d %H:%M") if when else ""


def ticket_table(tickets: Sequence[Ticket], zone: tzinfo) -> str:
    """An aligned table of tickets, one line each."""
    if not tickets:
        return "（还没有工单）"
    header = ("编号", "网格", "状态", "三事", "分类", "紧急", "报告人", "受理", "办结", "内容")
    rows = [
        (
            t.label,
            t.grid_id,
            STATE_WORDS[t.state],
            TRIAGE_WORDS[t.triage],
            t.category,
            "紧急" if t.urgent else "",
            clip("、".join(r.name for r in t.reporters), 12),
            _local(t.created_at, zone),
            _local(t.resolved_at, zone),
            clip(t.summary, 36),
        )
        for t in tickets
    ]
    widths = [max(width(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines)


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket as a JSON object; this shape is a stable interface (`gridbot tickets --json`)."""
    return {
        "number": ticket.number,
        "label": ticket.label,
        "street": ticket.street,
        "grid": ticket.grid_id,
        "platform": ticket.platform,
        "chat": ticket.chat_id,
        "state": ticket.state.value,
        "triage": ticket.triage.value,
        "category": ticket.category,
        "urgent": ticket.urgent,
        "confidence": round(ticket.confidence, 3),
        "summary": ticket.summary,
        "reasons": list(ticket.reasons),
        "reporters": [{"id": r.user_id, "name": r.name} for r in ticket.reporters],
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
    }


def display(message: OutboundMessage, bot_name: str) -> str:
    """How a bot message looks in the group: @mentions first, lines indented under the name."""
    mentions = "".join(f"@{m.name} " for m in message.mentions)
    head = f"🤖 {bot_name}（私信）：" if message.direct else f"🤖 {bot_name}："
    if message.image is not None:
        head += f"［图片 {len(message.image) // 1024 + 1} KB］"
    lines = (mentions + message.text).splitlines() or [""]
    indent = " " * width(head)
    return head + lines[0] + "".join(f"\n{indent}{line}" for line in lines[1:])
