"""The running bot: the pipeline in front of the store, delivery behind it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.delivery import Delivery
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

    def attach(self, adapter: ChatAdapter) -> None:
        """Deliver through `adapter`; it feeds `receive` once started."""
        self.delivery.attach(adapter)

    async def receive(self, message: InboundMessage) -> Outcome:
        """Process one inbound message and send what it produced."""
        outcome = self.pipeline.process(message)
        await self.delivery.flush()
        return outcome
