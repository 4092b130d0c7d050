"""End to end with python-wechaty against Wechaty's own mock puppet behind
wechaty-puppet-service, on loopback: a room of residents and a gridworker, @mentions checked on
the mock side, the bot in `gridbot run`'s serve loop, a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app import GridBot
from bot.bootstrap import build_bot
from bot.config import Config, parse_config
from bot.messages import InboundMessage
from bot.runner import serve
from tests.peers.wechat_gateway import WechatGateway, ensure_installed
from tests.utils.builders import config_data

wechat = pytest.importorskip("adapters.wechat", reason="the wechat extra is not installed")

ROOM = "grid-1@chatroom"
LIFT = "3栋2单元的电梯又坏了，卡在5楼不动，我家老人上不去楼"
PEOPLE = [
    {"id": "li", "name": "李师傅"},
    {"id": "zhang", "name": "张阿姨"},
    {"id": "wang", "name": "网格员小王"},
]


def wechat_config(endpoint: str) -> Config:
    data: dict[str, Any] = config_data()
    data["platforms"] = {"wechat": {"endpoint": endpoint}}
    data["grids"] = {
        "g1": {
            "name": "一网格",
            "chats": [{"platform": "wechat", "chat_id": ROOM}],
            "members": [
                {
                    "platform": "wechat",
                    "user_id": "wang",
                    "name": "网格员小王",
                    "role": "gridworker",
                }
            ],
        }
    }
    return parse_config(data, source="test")


@pytest.fixture
def gateway() -> Iterator[WechatGateway]:
    ensure_installed()
    with WechatGateway(bot={"id": "gridbot", "name": "网格助手"}) as running:
        running.setup(
            contacts=PEOPLE,
            rooms=[{"id": ROOM, "topic": "幸福里一网格", "members": [p["id"] for p in PEOPLE]}],
        )
        yield running


@asynccontextmanager
async def running_bot(gateway: WechatGateway, url: str) -> AsyncIterator[GridBot]:
    config = wechat_config(gateway.endpoint)
    bot = build_bot(config, database_url=url)
    adapter = wechat.WechatAdapter(endpoint=gateway.endpoint, token=gateway.token)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(bot, [adapter], stop))
    for _ in range(300):
        if adapter._connected.is_set():
            break
        await asyncio.sleep(0.05)
    try:
        yield bot
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def settle(gateway: WechatGateway, count: int) -> list[Any]:
    await gateway.wait_said_async(count, timeout=20)
    await asyncio.sleep(0.5)  # nothing more should come
    return gateway.said()


def test_a_room_conversation_end_to_end(gateway: WechatGateway, sqlite_url: str) -> None:
    async def scenario() -> None:
        async with running_bot(gateway, sqlite_url) as bot:
            gateway.say("li", LIFT, room=ROOM)
            [confirmation] = await settle(gateway, 1)
            assert confirmation["to"] == ROOM
            assert confirmation["mentions"] == ["li", "wang"]
            assert "收到，已登记为工单 #1（小事" in confirmation["text"]

            gateway.say("zhang", "大家早上好，今天降温了多穿点", room=ROOM)
            assert len(await settle(gateway, 1)) == 1

            # A command with the bot @-mentioned in front, as WeChat users write it.
            gateway.say(
                "wang", "@网格助手\u2005/done 1 换了控制板，已恢复", room=ROOM, mentions=["gridbot"]
            )
            said = await settle(gateway, 2)
            assert said[-1]["mentions"] == ["li"]
            assert "工单 #1 已办结：换了控制板，已恢复（网格员小王）" in said[-1]["text"]

            with bot.store.transaction() as tx:
                [ticket] = tx.list_tickets(street="测试街道")
            assert ticket.platform == "wechat" and ticket.state.value == "resolved"
            assert [r.user_id for r in ticket.reporters] == ["li"]

    asyncio.run(scenario())


def test_private_details_go_to_the_person(gateway: WechatGateway, sqlite_url: str) -> None:
    async def scenario() -> None:
        async with running_bot(gateway, sqlite_url):
            gateway.say("zhang", "有没有靠谱的家政阿姨推荐？家里想请个钟点工", room=ROOM)
            await settle(gateway, 1)
            gateway.say("wang", "/refer 1 社区家政服务站周一上午开门", room=ROOM)
            said = await settle(gateway, 3)
            group, private = said[1], said[2]
            assert group["to"] == ROOM and "家政" not in group["text"]
            assert private["to"] == "zhang" and "社区家政服务站" in private["text"]

    asyncio.run(scenario())


def test_replies_wait_while_the_puppet_service_is_down(
    gateway: WechatGateway, sqlite_url: str
) -> None:
    async def scenario() -> None:
        async with running_bot(gateway, sqlite_url) as bot:
            gateway.say("li", LIFT, room=ROOM)
            await settle(gateway, 1)
            await asyncio.to_thread(gateway.stop)
            outcome = bot.pipeline.process(
                InboundMessage(
                    "wechat",
                    ROOM,
                    "offline-1",
                    "zhang",
                    "张阿姨",
                    "5栋门口的路灯坏了好几天",
                    datetime.now(UTC),
                )
            )
            assert outcome.replies
            await asyncio.sleep(2.5)  # delivery tries and fails
            await asyncio.to_thread(gateway.start)
            said = await settle(gateway, 1)  # the said list starts afresh with the gateway
            assert len(said) == 1 and "#2" in said[0]["text"]

    asyncio.run(scenario())


def test_display_names_are_kept_current(
    gateway: WechatGateway, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wechat, "NAME_REFRESH_SECONDS", 0.0)

    async def scenario() -> None:
        async with running_bot(gateway, sqlite_url) as bot:
            gateway.say("li", LIFT, room=ROOM)
            await settle(gateway, 1)
            gateway.rename("li", "李大爷")
            gateway.say("li", "小区东门的路灯坏了一个星期了", room=ROOM)
            await settle(gateway, 2)
            with bot.store.transaction() as tx:
                tickets = tx.list_tickets(street="测试街道")
            assert [t.reporters[0].name for t in tickets] == ["李师傅", "李大爷"]
            assert [t.reporters[0].user_id for t in tickets] == ["li", "li"]

    asyncio.run(scenario())
