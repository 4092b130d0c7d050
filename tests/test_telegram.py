"""End to end with python-telegram-bot against a real Bot API emulator on loopback: residents
and a gridworker in a supergroup, the bot in `gridbot run`'s serve loop, a real SQLite file."""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import subprocess
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.telegram import TelegramAdapter, TelegramSettings, inbound, mention_entities
from bot.app import GridBot
from bot.bootstrap import build_bot
from bot.config import Config, parse_config
from bot.messages import InboundMessage, Mention, MessageKind, OutboundMessage
from bot.runner import serve
from tests.peers.process import free_port
from tests.peers.telegram_emulator import BOT_USERNAME, TelegramEmulator, ensure_installed
from tests.utils.builders import config_data
from tests.utils.cli import GRIDBOT, run

GROUP = -1001234567890
WORKER = 1001
RESIDENT = 2001
NEIGHBOUR = 2002
LIFT = "3栋2单元的电梯又坏了，卡在5楼不动，我家老人上不去楼"


def telegram_config(emulator: TelegramEmulator, group: int) -> Config:
    """One grid whose group is a Telegram supergroup; each test has a group of its own, since
    the emulator is shared by the module."""
    data: dict[str, Any] = config_data()
    data["platforms"] = {"telegram": {"api_url": emulator.api_url}}
    data["grids"] = {
        "g1": {
            "name": "一网格",
            "chats": [{"platform": "telegram", "chat_id": group}],
            "members": [
                {
                    "platform": "telegram",
                    "user_id": WORKER,
                    "name": "网格员小王",
                    "role": "gridworker",
                }
            ],
        }
    }
    return parse_config(data, source="test")


def png() -> bytes:
    """A real 1×1 PNG, as a chart would be."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[TelegramEmulator]:
    ensure_installed()
    with TelegramEmulator() as running:
        yield running


@asynccontextmanager
async def running_bot(config: Config, url: str, token: str) -> AsyncIterator[GridBot]:
    bot = build_bot(config, database_url=url)
    adapter = TelegramAdapter(
        TelegramSettings(token=token, api_url=config.platforms.telegram.api_url)
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(bot, [adapter], stop))
    for _ in range(200):
        if adapter.connected:
            break
        await asyncio.sleep(0.05)
    assert adapter.username == BOT_USERNAME
    try:
        yield bot
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def settle(emulator: TelegramEmulator, chat: int, count: int) -> list[Any]:
    await emulator.wait_for_bot_messages(count, chat_id=chat, timeout=20)
    await asyncio.sleep(0.5)  # nothing more should come
    return emulator.bot_messages(chat)


def test_a_group_conversation_end_to_end(emulator: TelegramEmulator, sqlite_url: str) -> None:
    group = GROUP - 1
    config = telegram_config(emulator, group)

    async def scenario() -> None:
        async with running_bot(config, sqlite_url, emulator.token) as bot:
            appeal = emulator.user_says(group, LIFT, user_id=RESIDENT, first_name="李师傅")
            [confirmation] = await settle(emulator, group, 1)
            assert confirmation["text"].startswith("@李师傅 @网格员小王 收到，已登记为工单 #1")
            assert confirmation["reply_to_message_id"] == appeal
            mentioned = [
                e["user"]["id"] for e in confirmation["entities"] if e["type"] == "text_mention"
            ]
            assert mentioned == [RESIDENT, WORKER]

            # Chatter gets nothing.
            emulator.user_says(
                group, "大家早上好，今天降温了多穿点", user_id=NEIGHBOUR, first_name="张阿姨"
            )
            assert len(await settle(emulator, group, 1)) == 1

            # The gridworker closes it with the command addressed to the bot by name.
            emulator.user_command(
                group,
                f"/done@{BOT_USERNAME} 1 换了控制板，已恢复",
                user_id=WORKER,
                first_name="小王",
            )
            messages = await settle(emulator, group, 2)
            done = messages[-1]
            assert done["text"].startswith("@李师傅 工单 #1 已办结：换了控制板，已恢复（小王）")
            assert [e["user"]["id"] for e in done["entities"]] == [RESIDENT]

            # A chart goes out as a photo.
            with bot.store.transaction() as tx:
                tx.enqueue(
                    OutboundMessage(
                        "telegram", str(group), "一网格日报", kind=MessageKind.IMAGE, image=png()
                    ),
                    at=datetime.now(UTC),
                )
            [photo] = [m for m in await settle(emulator, group, 3) if m["kind"] == "photo"]
            assert photo["text"] == "一网格日报" and photo["file_size"] == len(png())
            with bot.store.transaction() as tx:
                [ticket] = tx.list_tickets(street=config.street.name)
            assert ticket.state.value == "resolved" and ticket.platform == "telegram"

    asyncio.run(scenario())


def test_every_reply_arrives_exactly_once_across_an_outage(
    emulator: TelegramEmulator, sqlite_url: str
) -> None:
    group = GROUP - 2
    config = telegram_config(emulator, group)

    async def scenario() -> None:
        async with running_bot(config, sqlite_url, emulator.token) as bot:
            emulator.user_says(group, LIFT, user_id=RESIDENT, first_name="李师傅")
            await settle(emulator, group, 1)

            await emulator.astop()
            # While the platform is away, messages that were already received get answered:
            # the replies wait in the outbox.
            for number, text in enumerate(
                ("5栋门口的路灯坏了好几天", "/list", "小区东门的垃圾桶满了没人收")
            ):
                outcome = bot.pipeline.process(
                    InboundMessage(
                        platform="telegram",
                        chat_id=str(group),
                        message_id=f"offline-{number}",
                        sender_id=str(WORKER if text.startswith("/") else RESIDENT + number),
                        sender_name="小王" if text.startswith("/") else f"居民{number}",
                        text=text,
                        time=datetime.now(UTC),
                    )
                )
                assert outcome.replies
            await asyncio.sleep(2.5)  # the delivery loop tries and fails at least once
            await emulator.astart()
            await emulator.wait_for_bot_messages(4, chat_id=group, timeout=30)
            await asyncio.sleep(2.0)
            messages = emulator.bot_messages(group)
            texts = [m["text"] for m in messages]
            assert len(texts) == 4, texts
            assert len(set(texts)) == 4
            assert sum("#2" in t for t in texts if "收到" in t) == 1

        # A restart of the bot sends nothing again.
        async with running_bot(config, sqlite_url, emulator.token):
            await asyncio.sleep(2.0)
        assert len(emulator.bot_messages(group)) == 4

    asyncio.run(scenario())


def test_a_message_is_turned_into_the_neutral_form() -> None:
    from telegram import Chat, Message, MessageEntity, User

    group = Chat(id=GROUP, type="supergroup", title="幸福里")
    sender = User(id=RESIDENT, first_name="李", last_name="师傅", is_bot=False)
    worker = User(id=WORKER, first_name="小王", is_bot=False)
    text = "/claim@gridbot_bot 12"
    message = Message(
        message_id=7,
        date=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        chat=group,
        from_user=sender,
        text=text,
        entities=(MessageEntity(type="text_mention", offset=0, length=1, user=worker),),
    )
    converted = inbound(message, "gridbot_bot")
    assert converted is not None
    assert (converted.text, converted.sender_name, converted.mentions) == (
        "/claim 12",
        "李 师傅",
        (str(WORKER),),
    )
    assert converted.chat_id == str(GROUP) and converted.message_id == "7"
    other = Message(
        message_id=8, date=message.date, chat=group, from_user=sender, text="/done@otherbot 1 x"
    )
    assert inbound(other, "gridbot_bot").text == "/done@otherbot 1 x"  # type: ignore[union-attr]
    private = Message(
        message_id=9,
        date=message.date,
        chat=Chat(id=RESIDENT, type="private"),
        from_user=sender,
        text="hi",
    )
    assert inbound(private, "gridbot_bot") is None


def test_mentions_are_entities_counted_in_utf16() -> None:
    text, entities = mention_entities(
        OutboundMessage(
            "telegram", "1", "收到", mentions=(Mention("5", "😀小王"), Mention("6", "李"))
        )
    )
    assert text == "@😀小王 @李 收到"
    assert [(e.offset, e.length, e.user.id) for e in entities] == [(0, 5, 5), (6, 2, 6)]  # type: ignore[union-attr]


def test_gridbot_run_connects_logs_and_stops_on_sigterm(
    emulator: TelegramEmulator, tmp_path: Path
) -> None:
    config_file = tmp_path / "config.yaml"
    data = config_data()
    data["database"] = {"url": f"sqlite:///{tmp_path / 'run.db'}"}
    data["platforms"] = {"telegram": {"api_url": emulator.api_url}}
    data["grids"] = {
        "g1": {"name": "一网格", "chats": [{"platform": "telegram", "chat_id": GROUP - 3}]}
    }
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "GRIDBOT_TELEGRAM_TOKEN": emulator.token}
    process = subprocess.Popen(
        [str(GRIDBOT), "--config", str(config_file), "run"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    lines: list[str] = []
    for line in process.stderr:
        lines.append(line)
        if "telegram: connected as @TestNameBot (polling)" in line:
            break
    else:
        pytest.fail("no connected line: " + "".join(lines))
    emulator.user_says(GROUP - 3, LIFT, user_id=RESIDENT, first_name="李师傅")
    deadline = time.monotonic() + 20
    while not emulator.bot_messages(GROUP - 3) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "gridbot stopped" in rest
    assert [m["text"][:17] for m in emulator.bot_messages(GROUP - 3)] == [
        "@李师傅 收到，已登记为工单 #1"
    ]


def test_doctor_says_what_is_wrong(emulator: TelegramEmulator, tmp_path: Path) -> None:
    config_file = tmp_path / "config.yaml"
    data = config_data()
    data["database"] = {"url": f"sqlite:///{tmp_path / 'doctor.db'}"}
    data["platforms"] = {"telegram": {"api_url": emulator.api_url}}
    data["grids"]["g2"]["chats"] = [{"platform": "telegram", "chat_id": GROUP - 4}]
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if k != "GRIDBOT_TELEGRAM_TOKEN"}

    good = run(
        "--config",
        str(config_file),
        "doctor",
        env={**base, "GRIDBOT_TELEGRAM_TOKEN": emulator.token},
    )
    assert good.returncode == 0, good.stdout
    assert "✓ telegram: connected as @TestNameBot" in good.stdout
    assert good.stdout.strip().endswith("all good")

    missing = run("--config", str(config_file), "doctor", env=base)
    assert missing.returncode == 1
    assert "✗ telegram: GRIDBOT_TELEGRAM_TOKEN is not set" in missing.stdout

    emulator_url = emulator.api_url
    data["platforms"] = {"telegram": {"api_url": "http://127.0.0.1:9"}}
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    down = run(
        "--config", str(config_file), "doctor", env={**base, "GRIDBOT_TELEGRAM_TOKEN": "1:x"}
    )
    assert down.returncode == 1 and emulator_url not in down.stdout
    assert "✗ telegram: cannot reach http://127.0.0.1:9" in down.stdout

    no_token = run("--config", str(config_file), "run", env=base)
    assert no_token.returncode == 2
    assert "GRIDBOT_TELEGRAM_TOKEN is not set" in no_token.stdout


def test_webhook_mode(emulator: TelegramEmulator, sqlite_url: str) -> None:
    group = GROUP - 5
    config = telegram_config(emulator, group)
    port = free_port()
    settings = TelegramSettings(
        token=emulator.token,
        api_url=emulator.api_url,
        mode="webhook",
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )

    async def scenario() -> None:
        bot = build_bot(config, database_url=sqlite_url)
        adapter = TelegramAdapter(settings)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(bot, [adapter], stop))
        try:
            for _ in range(200):
                if adapter.connected:
                    break
                await asyncio.sleep(0.05)
            emulator.user_says(group, LIFT, user_id=RESIDENT, first_name="李师傅")
            [confirmation] = await settle(emulator, group, 1)
            assert "收到，已登记为工单 #1" in confirmation["text"]
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=30)
            await adapter_bot_delete_webhook(emulator)

    asyncio.run(scenario())


async def adapter_bot_delete_webhook(emulator: TelegramEmulator) -> None:
    """Leave the shared emulator in polling mode for the other tests."""
    from telegram import Bot

    async with Bot(emulator.token, base_url=emulator.bot_base_url) as bot:
        await bot.delete_webhook()
