"""The demo: a scripted morning in a grid's group, played through the whole pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TextIO

from bot.app import GridBot
from bot.config import Config, Grid
from bot.domain import Role
from bot.messages import InboundMessage, MessageKind, Platform
from bot.replay import RecordingChat
from bot.views import display, ticket_table

WORKER = "@worker"  # stands for the grid's first gridworker in the script


@dataclass(frozen=True, slots=True)
class Line:
    """One message of the script: minutes after 07:50, who says it, and what."""

    minute: int
    speaker: str
    text: str
    kind: MessageKind = MessageKind.TEXT


MORNING: tuple[Line, ...] = (
    Line(0, "张阿姨", "各位邻居早上好☀️ 今天降温了，出门多穿点哦"),
    Line(4, "李师傅", "3栋2单元的电梯又坏了，卡在5楼不动，我家老人上不去楼"),
    Line(7, "小陈", "小区东门外那盏路灯坏了一个多星期了，晚上黑黢黢的，走路都怕"),
    Line(9, WORKER, "收到，电梯的事我马上联系物业"),
    Line(12, "王姐", "请问大家有没有靠谱的家政阿姨推荐？家里想请个钟点工"),
    Line(15, "刘大爷", "我老伴今年退休，养老金到现在还没办下来，该找哪个部门啊？"),
    Line(18, "张阿姨", "哈哈 小区的桂花开了，好香 🌼"),
    Line(21, "小陈", "", MessageKind.IMAGE),
    Line(24, "赵女士", "5栋2单元楼道里好大一股煤气味！！是不是哪家漏气了，快来人看看"),
    Line(25, WORKER, "/claim 5"),
    Line(26, WORKER, "/list"),
    Line(28, WORKER, "/claim 1"),
    Line(30, WORKER, "/note 5 已关闭5栋燃气总阀，燃气公司抢修车10分钟到"),
    Line(33, WORKER, "/escalate 2 street 市政路灯归街道城管所 12345-1201-0042"),
    Line(36, WORKER, "/refer 3 社区家政服务站周一到周五上午开门，电话在公告栏"),
    Line(40, WORKER, "/done 1 物业已换了电梯控制板，现在运行正常"),
    Line(43, "李师傅", "5"),
    Line(44, "李师傅", "电梯好了，谢谢小王！👍"),
    Line(45, "张阿姨", "/done 2 好了"),
    Line(47, WORKER, "/done 99 已处理"),
    Line(48, "小陈", "/status 2"),
    Line(50, "小陈", "/help"),
    Line(52, "孙阿姨", "东门外面那个路灯还是不亮，晚上走路好黑"),
    Line(53, "刘大爷", "+1"),
)


class DemoError(Exception):
    """The config has no grid the demo can play in."""


def demo_grid(config: Config) -> tuple[Grid, str, str, str]:
    """The grid to play in, its console chat id, and its first gridworker's id and name.

    Raises:
        DemoError: no grid has a console chat and a gridworker.
    """
    for grid in config.grids.values():
        chats = [c.chat_id for c in grid.chats if c.platform is Platform.CONSOLE]
        workers = [
            m for m in grid.members if m.platform is Platform.CONSOLE and m.role is Role.GRIDWORKER
        ]
        if chats and workers:
            return grid, chats[0], workers[0].user_id, workers[0].name
    raise DemoError(
        "the demo needs a grid with a console chat and a console gridworker in the config"
    )


def _messages(
    script: Sequence[Line], chat_id: str, worker: tuple[str, str], start: datetime
) -> list[InboundMessage]:
    run = uuid.uuid4().hex[:8]  # each play is new conversation, even on a reused database
    messages = []
    for index, line in enumerate(script, start=1):
        sender_id, name = (
            worker if line.speaker == WORKER else (f"demo:{line.speaker}", line.speaker)
        )
        messages.append(
            InboundMessage(
                platform=Platform.CONSOLE.value,
                chat_id=chat_id,
                message_id=f"demo-{run}-{index}",
                sender_id=sender_id,
                sender_name=name,
                text=line.text,
                time=start + timedelta(minutes=line.minute),
                kind=line.kind,
            )
        )
    return messages


async def play(
    bot: GridBot,
    chat: RecordingChat,
    out: TextIO,
    *,
    day: date,
    script: Sequence[Line] = MORNING,
) -> None:
    """Play the script through `bot`, printing the conversation and then the tickets."""
    config = bot.config
    grid, chat_id, worker_id, worker_name = demo_grid(config)
    zone = config.street.zone
    start = datetime.combine(day, time(7, 50), tzinfo=zone)
    bot_name = config.street.bot_name
    print(f"━━ {grid.name} 居民群 · {day:%Y-%m-%d} 早上 ━━", file=out)
    print(f"（{worker_name} 是本网格的网格员，其他人都是居民）\n", file=out)
    for message in _messages(script, chat_id, (worker_id, worker_name), start):
        shown = message.text if message.kind is MessageKind.TEXT else "[图片]"
        print(f"{message.time.astimezone(zone):%H:%M} {message.sender_name}：{shown}", file=out)
        await bot.receive(message)
        for reply in chat.take():
            print(_indent(display(reply, bot_name)), file=out)
    with bot.store.transaction() as tx:
        tickets = tx.list_tickets(street=config.street.name)
    print(f"\n━━ 工单（{len(tickets)} 件）━━", file=out)
    print(ticket_table(tickets, zone), file=out)


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())
