"""Chat adapters: each turns one platform's messages into the core's neutral messages and back."""

from adapters.console import ConsoleAdapter
from adapters.memory import MemoryChat

__all__ = ["ConsoleAdapter", "MemoryChat"]
