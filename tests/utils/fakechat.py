"""An in-process fake chat: push a message as someone, read the bot's replies as shown."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.memory import MemoryChat
from bot.app import GridBot
from bot.bootstrap import build_bot
from bot.config import Config
from bot.messages import InboundMessage, MessageKind, OutboundMessage
from bot.pipeline import Outcome
from bot.ports import Classifier
from tests.utils.builders import message

NAMES = {"w1": "网格员小王", "w2": "网格员小李", "w3": "网格员小赵", "lead": "周网格长"}


class FakeChat:
    """Drives a real bot (real store, real pipeline) through an in-memory chat platform."""

    def __init__(self, config: Config, database_url: str, classifier: Classifier | None = None):
        self.config = config
        self.bot: GridBot = build_bot(config, database_url=database_url, classifier=classifier)
        self.chat = MemoryChat("console")
        self.bot.attach(self.chat)
        self.last: Outcome | None = None

    def push(self, inbound: InboundMessage) -> list[OutboundMessage]:
        """Deliver one message to the bot; returns what it posted."""
        self.last = asyncio.run(self.bot.receive(inbound))
        return self.chat.take()

    def say(self, text: str, *, sender: str = "r1", **fields: Any) -> list[str]:
        """Post `text` as `sender`; returns the bot's replies as shown, mentions first, and
        private messages as `[私信 user] text`."""
        fields.setdefault("name", NAMES.get(sender, sender))
        sent = self.push(message(text, sender=sender, **fields))
        return [
            f"[私信 {out.chat_id}] {out.text}"
            if out.direct
            else "".join(f"@{m.name} " for m in out.mentions) + out.text
            for out in sent
        ]

    def send_kind(self, kind: MessageKind, *, sender: str = "r1") -> list[str]:
        """Post a non-text message (image, voice …)."""
        return [out.text for out in self.push(message("", sender=sender, kind=kind))]

    def tickets(self) -> list[Any]:
        """Every ticket of the street, oldest first."""
        with self.bot.store.transaction() as tx:
            return list(tx.list_tickets(street=self.config.street.name))

    def events(self, ticket_id: int) -> list[Any]:
        """A ticket's audit trail."""
        with self.bot.store.transaction() as tx:
            return list(tx.events(ticket_id))
