"""An in-process chat that keeps what the bot posted; used by the demo, replay and tests."""

from __future__ import annotations

import itertools

from bot.messages import OutboundMessage
from bot.ports import MessageSink


class MemoryChat:
    """A chat platform that lives in memory and keeps everything the bot sent."""

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.sent: list[OutboundMessage] = []
        self._ids = itertools.count(1)
        self._sink: MessageSink | None = None

    async def start(self, sink: MessageSink) -> None:
        """Remember where inbound messages go."""
        self._sink = sink

    async def stop(self) -> None:
        """Nothing to disconnect."""
        self._sink = None

    async def send(self, message: OutboundMessage) -> str:
        """Keep the message; the platform id is a counter."""
        self.sent.append(message)
        return f"{self.platform}-out-{next(self._ids)}"

    def take(self) -> list[OutboundMessage]:
        """Everything sent since the last call."""
        sent, self.sent = self.sent, []
        return sent
