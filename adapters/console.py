"""The console adapter: a grid's group chat in the terminal, where you can speak as anyone."""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO

from bot.messages import InboundMessage, OutboundMessage, Platform
from bot.ports import MessageSink
from bot.views import display

HELP = """在群里直接打字就是发言；以冒号开头的是控制台命令：
  :as 名字    换一个人说话（配置里的成员按名字认出，其他人都是居民）
  :who        看看群里配置了哪些成员
  :help       显示这段说明
  :quit       退出（Ctrl-D 也行）"""


class ConsoleAdapter:
    """One group chat in the terminal. `people` maps configured members' names to their ids."""

    platform = Platform.CONSOLE.value

    def __init__(
        self,
        chat_id: str,
        people: Mapping[str, tuple[str, str]],
        *,
        speaker: str,
        bot_name: str = "网格助手",
        read: Callable[[str], str] = input,
        out: TextIO = sys.stdout,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.chat_id = chat_id
        self._people = dict(people)  # name -> (user id, role word)
        self._speaker = speaker
        self._bot_name = bot_name
        self._read = read
        self._out = out
        self._clock = clock
        self._session = uuid.uuid4().hex[:8]
        self._ids = itertools.count(1)
        self._sink: MessageSink | None = None

    async def start(self, sink: MessageSink) -> None:
        """Remember where typed messages go."""
        self._sink = sink

    async def stop(self) -> None:
        """Stop passing messages on."""
        self._sink = None

    async def send(self, message: OutboundMessage) -> str:
        """Print the bot's message as the group would show it."""
        print(display(message, self._bot_name), file=self._out, flush=True)
        return f"console-out-{self._session}-{next(self._ids)}"

    def user_id(self, name: str) -> str:
        """The stable id behind a name: a configured member's, else one derived from the name."""
        known = self._people.get(name)
        return known[0] if known else f"resident:{name}"

    async def interact(self) -> None:
        """Read lines until `:quit` or end of input, passing each one on as a group message."""
        print(f"（你现在是 {self._speaker}。输入 :help 查看说明）", file=self._out, flush=True)
        while self._sink is not None:
            try:
                # Read on the loop's own thread: the console is one conversation in turn, and
                # Ctrl-C must interrupt the prompt at once (a worker thread would hold it).
                line = self._read(f"{self._speaker}> ")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line.startswith((":", "：")):
                if not self._control(line[1:].strip()):
                    break
                continue
            await self._sink(self._message(line))

    def _control(self, command: str) -> bool:
        word, _, rest = command.partition(" ")
        if word in ("quit", "q", "exit"):
            return False
        if word == "as" and rest.strip():
            self._speaker = rest.strip()
            role = self._people.get(self._speaker, ("", "居民"))[1]
            print(f"（你现在是 {self._speaker}，{role}）", file=self._out, flush=True)
        elif word == "who":
            for name, (_, role) in self._people.items():
                print(f"  {name}（{role}）", file=self._out)
            print("  其他名字都是居民。", file=self._out, flush=True)
        else:
            print(HELP, file=self._out, flush=True)
        return True

    def _message(self, text: str) -> InboundMessage:
        return InboundMessage(
            platform=self.platform,
            chat_id=self.chat_id,
            message_id=f"console-{self._session}-{next(self._ids)}",
            sender_id=self.user_id(self._speaker),
            sender_name=self._speaker,
            text=text,
            time=self._clock(),
        )
