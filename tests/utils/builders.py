"""Builders of configs and messages for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config, parse_config
from bot.messages import InboundMessage, MessageKind

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
_ids = itertools.count(1)


def config_data(**overrides: Any) -> dict[str, Any]:
    """A small valid config as parsed YAML: two grids with a gridworker each and a leader."""
    data: dict[str, Any] = {
        "street": {"name": "测试街道"},
        "database": {"url": "sqlite:///unused.db"},
        "grids": {
            "g1": {
                "name": "一网格",
                "chats": [{"platform": "console", "chat_id": "chat-1"}],
                "members": [
                    {
                        "platform": "console",
                        "user_id": "w1",
                        "name": "网格员小王",
                        "role": "gridworker",
                    },
                    {
                        "platform": "console",
                        "user_id": "lead",
                        "name": "周网格长",
                        "role": "leader",
                    },
                ],
            },
            "g2": {
                "name": "二网格",
                "chats": [{"platform": "console", "chat_id": "chat-2"}],
                "members": [
                    {
                        "platform": "console",
                        "user_id": "w2",
                        "name": "网格员小李",
                        "role": "gridworker",
                    },
                ],
            },
        },
    }
    data.update(overrides)
    return data


def make_config(**overrides: Any) -> Config:
    """A validated `Config` from `config_data`."""
    return parse_config(config_data(**overrides), source="test")


def message(
    text: str,
    *,
    sender: str = "r1",
    name: str | None = None,
    chat: str = "chat-1",
    platform: str = "console",
    kind: MessageKind = MessageKind.TEXT,
    message_id: str | None = None,
    time: datetime | None = None,
    reply_to: str | None = None,
) -> InboundMessage:
    """An inbound group message; ids and times count up unless given."""
    number = next(_ids)
    return InboundMessage(
        platform=platform,
        chat_id=chat,
        message_id=message_id or f"m{number}",
        sender_id=sender,
        sender_name=name or sender,
        text=text,
        time=time or T0 + timedelta(minutes=number),
        kind=kind,
        reply_to=reply_to,
    )
