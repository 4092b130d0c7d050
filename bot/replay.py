"""Replay: a recorded conversation (JSON Lines) through the pipeline, collecting the replies."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from bot.app import GridBot
from bot.messages import InboundMessage, MessageKind, OutboundMessage, Platform
from bot.ports import ChatAdapter

_LOGGER = logging.getLogger(__name__)
REQUIRED = ("time", "chat", "sender_id", "text")


class BadLine(ValueError):
    """A replay line that cannot be read; the message says which field is wrong."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One bot message produced while replaying input line `line`."""

    line: int
    time: datetime
    message: OutboundMessage


def parse_line(raw: str, zone: tzinfo) -> InboundMessage:
    """One replay line as an inbound message; naive times are in the street's zone.

    Raises:
        BadLine: the line is not a JSON object with the required fields.
    """
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise BadLine(f"missing {', '.join(missing)}")
    try:
        time = datetime.fromisoformat(str(data["time"]))
    except ValueError:
        raise BadLine(f"time {data['time']!r} is not ISO-8601") from None
    if time.tzinfo is None:
        time = time.replace(tzinfo=zone)
    platform = str(data.get("platform", Platform.CONSOLE.value))
    if platform not in set(Platform):
        raise BadLine(f"unknown platform {platform!r}")
    try:
        kind = MessageKind(data.get("kind", MessageKind.TEXT.value))
    except ValueError:
        raise BadLine(f"unknown kind {data.get('kind')!r}") from None
    sender_id = str(data["sender_id"])
    text = data["text"] if isinstance(data["text"], str) else json.dumps(data["text"])
    # A stable id from the content: replaying the same file twice is a redelivery, not news.
    message_id = str(data.get("id") or "r-" + hashlib.sha1(raw.strip().encode()).hexdigest()[:16])
    return InboundMessage(
        platform=platform,
        chat_id=str(data["chat"]),
        message_id=message_id,
        sender_id=sender_id,
        sender_name=str(data.get("sender_name") or sender_id),
        text=text,
        time=time,
        kind=kind,
        reply_to=str(data["reply_to"]) if data.get("reply_to") is not None else None,
    )


class RecordingChat(ChatAdapter, Protocol):
    """A chat adapter that keeps what the bot sent, like `adapters.memory.MemoryChat`."""

    def take(self) -> list[OutboundMessage]:
        """Everything sent since the last call."""


async def replay(
    bot: GridBot, chats: Sequence[RecordingChat], lines: Iterable[str], zone: tzinfo
) -> list[Reply]:
    """Feed every line through `bot`; bad lines are logged and skipped, never fatal.

    `chats` must be attached to `bot`, one for each platform the lines may name.
    """
    replies: list[Reply] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            message = parse_line(raw, zone)
        except BadLine as exc:
            _LOGGER.warning("replay line %s skipped: %s", number, exc)
            continue
        await bot.receive(message)
        for chat in chats:
            replies += [Reply(number, message.time, sent) for sent in chat.take()]
    return replies
