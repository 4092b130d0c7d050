"""The console adapter in-process: speaking as configured members and as residents."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

from adapters.console import ConsoleAdapter
from bot.bootstrap import build_bot
from bot.config import Config
from bot.messages import Mention, OutboundMessage


def scripted(lines: list[str]) -> tuple[io.StringIO, object]:
    feed: Iterator[str] = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return io.StringIO(), read


def test_console_chat_round_trip(config: Config, sqlite_url: str) -> None:
    out, read = scripted(["电梯坏了，3栋的", ":as 网格员小王", "/done 1 修好了"])
    console = ConsoleAdapter(
        "chat-1",
        {"网格员小王": ("w1", "网格员")},
        speaker="李师傅",
        read=read,  # type: ignore[arg-type]
        out=out,
    )
    bot = build_bot(config, database_url=sqlite_url)
    bot.attach(console)

    async def session() -> None:
        await console.start(bot.receive)
        await console.interact()

    asyncio.run(session())

    shown = out.getvalue()
    assert "🤖 网格助手：@李师傅 @网格员小王 收到，已登记为工单 #1" in shown
    assert "🤖 网格助手：@李师傅 工单 #1 已办结：修好了" in shown
    with bot.store.transaction() as tx:
        [ticket] = tx.list_tickets(street=config.street.name)
    assert ticket.reporters[0].user_id == "resident:李师傅"


def test_multi_line_replies_are_indented_under_the_bot_name() -> None:
    out = io.StringIO()
    console = ConsoleAdapter("c", {}, speaker="x", out=out, bot_name="助手")
    message = OutboundMessage("console", "c", "第一行\n第二行", mentions=(Mention("r1", "王姐"),))
    asyncio.run(console.send(message))
    first, second = out.getvalue().splitlines()
    assert first == "🤖 助手：@王姐 第一行"
    assert second == " " * 9 + "第二行"  # 🤖 2 + space 1 + 助手 4 + ： 2 columns


def test_a_console_shows_only_its_own_group(config: Config, sqlite_url: str) -> None:
    from tests.utils.builders import message

    bot = build_bot(config, database_url=sqlite_url)
    out = io.StringIO()
    console = ConsoleAdapter("chat-1", {}, speaker="x", out=out)
    bot.attach(console, chats=["chat-1"])
    asyncio.run(bot.receive(message("3栋电梯坏了", chat="chat-2")))
    asyncio.run(bot.receive(message("5栋电梯坏了", chat="chat-1")))
    assert "#2" in out.getvalue() and "#1" not in out.getvalue()
