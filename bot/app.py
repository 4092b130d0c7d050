"""The running bot: the pipeline in front of the store, delivery behind it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.config import Config
from bot.delivery import Delivery
from bot.domain import Ticket
from bot.followup import expire_return_visits
from bot.jobs import Jobs
from bot.messages import InboundMessage
from bot.pipeline import Outcome, Pipeline
from bot.ports import ChatAdapter, Store


@dataclass
class GridBot:
    """A running bot: the pipeline in front of the store, delivery behind it."""

    config: Config
    store: Store
    pipeline: Pipeline
    delivery: Delivery
    jobs: Jobs

    def attach(self, adapter: ChatAdapter, *, chats: Collection[str] | None = None) -> None:
        """Deliver through `adapter` (only to `chats`, if given); it feeds `receive`."""
        self.delivery.attach(adapter, chats=chats)

    async def receive(self, message: InboundMessage) -> Outcome:
        """Process one inbound message and send what it produced."""
        outcome = self.pipeline.process(message)
        await self.delivery.flush()
        return outcome

    def follow_up(self, now: datetime) -> list[Ticket]:
        """The bot's own follow-up work that is due at `now` (return visits that expired)."""
        return expire_return_visits(self.store, self.config, now)
