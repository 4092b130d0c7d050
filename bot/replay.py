"""Replay: a recorded conversation (JSON Lines) through the pipeline, collecting the replies."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
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


def _string(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise BadLine(f"{key} is missing or empty")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadLine(f"{key} must be a string, not {type(value).__name__}")
    return str(value)


def parse_line(raw: str, zone: tzinfo, occurrence: int = 1) -> InboundMessage:
    """One replay line as an inbound message; naive times are in the street's zone.

    `occurrence` counts identical lines so far: the same text posted twice in the same
    minute is two messages, while replaying the whole file again is a redelivery.

    Raises:
        BadLine: the line is not a JSON object with the required fields of the right types.
    """
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    text = data.get("text")
    if not isinstance(text, str):
        raise BadLine("text must be a string")
    stamp = _string(data, "time")
    try:
        time = datetime.fromisoformat(str(stamp))
    except ValueError:
        raise BadLine(f"time {stamp!r} is not ISO-8601") from None
    if time.tzinfo is None:
        time = time.replace(tzinfo=zone)
    platform = _string(data, "platform", required=False) or Platform.CONSOLE.value
    if platform not in set(Platform):
        raise BadLine(f"unknown platform {platform!r}")
    try:
        kind = MessageKind(data.get("kind", MessageKind.TEXT.value))
    except ValueError:
        raise BadLine(f"unknown kind {data.get('kind')!r}") from None
    sender_id = str(_string(data, "sender_id"))
    digest = hashlib.sha1(f"{raw.strip()}#{occurrence}".encode()).hexdigest()[:16]
    return InboundMessage(
        platform=platform,
        chat_id=str(_string(data, "chat")),
        message_id=_string(data, "id", required=False) or f"r-{digest}",
        sender_id=sender_id,
        sender_name=_string(data, "sender_name", required=False) or "居民",
        text=text,
        time=time,
        kind=kind,
        reply_to=_string(data, "reply_to", required=False),
    )


class RecordingChat(ChatAdapter, Protocol):
    """A chat adapter that keeps what the bot sent, like `adapters.memory.MemoryChat`."""

    def take(self) -> list[OutboundMessage]:
        """Everything sent since the last call."""


async def replay(
    bot: GridBot,
    chats: Sequence[RecordingChat],
    lines: Iterable[str],
    zone: tzinfo,
    on_reply: Callable[[Reply], None],
) -> int:
    """Feed every line through `bot`, passing each reply to `on_reply` as it is produced.

    Bad lines are logged and skipped, never fatal. `chats` must be attached to `bot`, one for
    each platform the lines may name. Returns the number of lines skipped.
    """
    seen: Counter[str] = Counter()
    skipped = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        seen[raw.strip()] += 1
        try:
            message = parse_line(raw, zone, seen[raw.strip()])
        except BadLine as exc:
            _LOGGER.warning("replay line %s skipped: %s", number, exc)
            skipped += 1
            continue
        outcome = await bot.receive(message)
        if outcome.error and not outcome.replies:
            _LOGGER.warning("replay line %s failed: %s", number, outcome.error)
        for chat in chats:
            for sent in chat.take():
                on_reply(Reply(number, message.time, sent))
    return skipped
