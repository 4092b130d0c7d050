"""Platform-neutral chat messages: what every adapter turns its platform's messages into."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Platform(enum.StrEnum):
    """The chat platforms gridbot can sit in."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    WECHAT = "wechat"


class MessageKind(enum.StrEnum):
    """What a message carries. Only text is classified; the rest is logged with its kind."""

    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    FILE = "file"
    STICKER = "sticker"
    LINK = "link"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message posted in a chat, as the pipeline sees it.

    Identity is always the stable platform id (`sender_id`), never the display name:
    WeChat nicknames change.
    """

    platform: str
    chat_id: str
    message_id: str
    sender_id: str
    sender_name: str
    text: str
    time: datetime
    kind: MessageKind = MessageKind.TEXT
    reply_to: str | None = None
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """Someone the bot @-mentions; adapters that cannot mention write the name instead."""

    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message the bot wants to post. It goes through the outbox before any adapter sees it."""

    platform: str
    chat_id: str
    text: str
    mentions: tuple[Mention, ...] = ()
    reply_to: str | None = None
    kind: MessageKind = MessageKind.TEXT
    # A scheduled post's key (grid, kind, period): queued at most once.
    dedupe_key: str | None = None
    # A private message to one person: `chat_id` is then their platform user id.
    direct: bool = False
    # A picture (PNG) to post with `text` as its caption; `kind` is then IMAGE.
    image: bytes | None = None
    # Not before this time (a routine post queued in quiet hours waits for the morning).
    not_before: datetime | None = None
