"""The schedule with the clock driven by time-machine: a working day, a weekend, a public
holiday with its make-up working day, quiet hours, missed posts, restarts, overdue chases, and
two bots sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.bootstrap import build_bot
from bot.config import parse_config
from bot.domain import Level, TicketState
from bot.jobs import quiet_until
from bot.messages import MessageKind, OutboundMessage
from bot.runner import schedule
from tests.test_casework import Chat, Scripted, casework_config
from tests.utils.builders import config_data, make_config, message

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIFT = "3栋2单元的电梯又坏了，老人上不去楼"
LIGHT = "小区门口那段马路的路灯坏了一个星期了"


def local(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class Clock:
    """Moves the whole bot's clock (time-machine) and runs what the scheduler would run."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    def say(self, when: datetime, text: str, **fields: Any) -> list[str]:
        with time_machine.travel(when, tick=False):
            return self.chat.say(text, time=when, **fields)

    def tick(self, when: datetime) -> list[OutboundMessage]:
        """The scheduler fires at `when`: do what is due, deliver what may go out."""
        with time_machine.travel(when, tick=False):
            self.chat.bot.jobs.tick(when)
            asyncio.run(self.chat.bot.delivery.flush())
            return self.chat.chat.take()


@pytest.fixture
def clock(sqlite_url: str) -> Clock:
    return Clock(Chat(casework_config(), sqlite_url))


def texts(messages: list[OutboundMessage]) -> list[str]:
    return [m.text for m in messages]


def test_a_working_day(clock: Clock) -> None:
    clock.say(local(11, 23, 8, 0), LIFT, sender="r1", name="李师傅")
    clock.say(local(11, 23, 8, 5), LIGHT, sender="r2", name="张阿姨")
    assert clock.tick(local(11, 23, 8, 59)) == []

    [morning] = clock.tick(local(11, 23, 9, 0))
    assert morning.chat_id == "chat-1" and morning.mentions == ()
    assert morning.text.startswith("【一网格 工单进展 · 11月23日 09:00】\n在办 2 件：")
    assert "#1 小事·已受理" in morning.text and "#2 大事·已受理" in morning.text
    # The scheduler may fire again (a second job, a restart): nothing is posted twice.
    assert clock.tick(local(11, 23, 9, 1)) == []
    # Grid 2 has nothing to say, so it says nothing.
    assert all(m.chat_id != "chat-2" for m in [morning])

    clock.say(local(11, 23, 10, 0), "/done 1 换了控制板", sender="w1")
    [evening] = clock.tick(local(11, 23, 17, 30))
    assert "在办 1 件" in evening.text
    assert "上次播报以来办结 1 件：\n#1 小事 " + LIFT in evening.text

    digest = clock.tick(local(11, 23, 18, 0))
    assert [m.kind for m in digest] == [MessageKind.IMAGE, MessageKind.TEXT]
    chart, text = digest
    assert chart.image is not None and chart.image.startswith(b"\x89PNG")
    # The leader is on the console, where the bot cannot write privately: the group gets it.
    assert chart.chat_id == "chat-1" and not chart.direct
    assert text.text.startswith("一网格 今日工单统计（11月23日）")
    assert "新受理 2 件（大事 1 · 小事 1 · 私事 0）" in text.text
    assert "办结率 50%" in text.text and "按时率 100%" in text.text
    assert clock.tick(local(11, 23, 18, 1)) == []


def test_no_routine_posts_on_a_weekend(clock: Clock) -> None:
    clock.say(local(11, 27, 16, 0), LIFT, sender="r1")  # Friday
    assert clock.tick(local(11, 28, 9, 0)) == []  # Saturday
    assert clock.tick(local(11, 28, 18, 0)) == []
    assert clock.tick(local(11, 29, 17, 30)) == []  # Sunday
    monday = [m.text for m in clock.tick(local(11, 30, 9, 0)) if "工单进展" in m.text]
    assert len(monday) == 1 and "11月30日 09:00" in monday[0]


def test_a_public_holiday_and_its_make_up_working_day(clock: Clock) -> None:
    clock.say(local(9, 30, 16, 0), LIFT, sender="r1")
    assert clock.tick(local(10, 1, 9, 0)) == []  # National Day
    assert clock.tick(local(10, 5, 18, 0)) == []
    posts = clock.tick(local(10, 10, 9, 0))  # a Saturday worked in exchange (调休)
    assert [m.text.split("\n")[0] for m in posts if "工单进展" in m.text] == [
        "【一网格 工单进展 · 10月10日 09:00】"
    ]


def test_the_weekly_digest_on_thursday_compares_with_last_week(clock: Clock) -> None:
    clock.say(local(11, 17, 10, 0), LIGHT, sender="r2")  # the week before
    clock.say(local(11, 24, 10, 0), LIFT, sender="r1")
    clock.say(local(11, 24, 11, 0), "5栋门口的路灯也坏了", sender="r3")
    thursday = clock.tick(local(11, 26, 18, 0))
    weekly = [m.text for m in thursday if m.text.startswith("一网格 本周")]
    assert len(weekly) == 1
    assert "与上周比：新受理 +1" in weekly[0]
    assert sum(m.text.startswith("一网格 今日") for m in thursday) == 1


def test_a_digest_missed_while_down_is_made_up_once_within_the_grace(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.say(local(11, 23, 8, 0), LIFT, sender="r1")
    clock.tick(local(11, 23, 9, 0))
    # Down from 17:00; back at 20:45, within the three hours' grace of 18:00.
    back = clock.tick(local(11, 23, 20, 45))
    assert sum(m.text.startswith("一网格 今日工单统计") for m in back) == 1
    assert not any("工单进展" in m.text for m in back)  # 17:30 is beyond the grace: skipped
    assert clock.tick(local(11, 23, 20, 50)) == []
    # Down all the next day from 08:00 until 23:30: everything of that day is skipped.
    with caplog.at_level(logging.WARNING, logger="bot.jobs"):
        assert clock.tick(local(11, 24, 23, 30)) == []
    assert "skipped the digest of g1 due at 2026-11-24 18:00" in caplog.text


def test_a_restarted_bot_does_not_post_again(clock: Clock, sqlite_url: str) -> None:
    clock.say(local(11, 23, 8, 0), LIFT, sender="r1")
    assert len(clock.tick(local(11, 23, 9, 0))) == 1
    again = Chat(casework_config(), sqlite_url)
    assert Clock(again).tick(local(11, 23, 9, 2)) == []


def test_overdue_work_is_chased_then_supervised_then_escalated(clock: Clock) -> None:
    clock.say(local(11, 23, 9, 0), LIFT, sender="r1", name="李师傅")  # due end of Thursday 26th
    clock.say(local(11, 23, 9, 5), "/claim 1", sender="w1")
    assert [m for m in clock.tick(local(11, 26, 20, 0)) if "催办" in m.text] == []

    # Just after midnight it is overdue, but quiet hours hold the reminder until 07:00.
    assert [m for m in clock.tick(local(11, 27, 0, 5)) if "催办" in m.text] == []
    [reminder] = [m for m in clock.tick(local(11, 27, 7, 0)) if "催办" in m.text]
    assert reminder.text.startswith("⏰ 催办：工单 #1（小事·物业设施）已超过办结时限")
    assert [m.name for m in reminder.mentions] == ["网格员小王"]

    [supervise] = [m for m in clock.tick(local(11, 28, 7, 0)) if "督办" in m.text]
    assert [m.name for m in supervise.mentions] == ["周网格长", "网格员小王"]

    [escalated] = [m for m in clock.tick(local(11, 30, 7, 0)) if "自动上报" in m.text]
    assert "已自动上报社区" in escalated.text
    ticket = clock.chat.ticket()
    assert (ticket.state, ticket.level) == (TicketState.ESCALATED, Level.COMMUNITY)
    actions = [e.action for e in clock.chat.events(ticket.id)]
    assert actions[-3:] == ["reminded", "supervised", "escalated"]
    clock.tick(local(11, 30, 8, 0))
    assert [e.action for e in clock.chat.events(ticket.id)][-3:] == actions[-3:]


def test_urgent_reminders_go_out_even_in_quiet_hours(clock: Clock) -> None:
    clock.say(local(11, 23, 22, 30), "5栋楼道里好大一股煤气味！！", sender="r1")
    posts = clock.tick(local(11, 23, 23, 45))  # an hour to respond has passed
    [reminder] = [m for m in posts if "催办" in m.text]
    assert "已超过响应时限" in reminder.text


def test_quiet_hours() -> None:
    schedule = make_config().grids["g1"].schedule  # the defaults: 22:00–07:00
    assert quiet_until(local(11, 23, 21, 59), schedule.quiet_hours, SHANGHAI) is None
    assert quiet_until(local(11, 23, 22, 0), schedule.quiet_hours, SHANGHAI) == local(11, 24, 7, 0)
    assert quiet_until(local(11, 24, 6, 59), schedule.quiet_hours, SHANGHAI) == local(11, 24, 7, 0)
    assert quiet_until(local(11, 24, 7, 0), schedule.quiet_hours, SHANGHAI) is None


def _tick_in_a_process(database_url: str, start: Any, results: Any) -> None:
    """One bot process: build the bot, wait for the other, do the 18:00 work."""
    bot = build_bot(casework_config(), database_url=database_url, classifier=Scripted())
    start.wait()
    results.put(bot.jobs.tick(local(11, 23, 18, 0)))


def test_two_processes_sharing_postgres_post_each_digest_once(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("this one is about two processes on one PostgreSQL database")
    first = build_bot(casework_config(), database_url=database_url, classifier=Scripted())
    with time_machine.travel(local(11, 23, 8, 0), tick=False):
        asyncio.run(first.receive(message(LIFT, time=local(11, 23, 8, 0))))
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(2), spawn.Queue()
    processes = [
        spawn.Process(target=_tick_in_a_process, args=(database_url, start, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    queued = sorted(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    # One process queued the 17:30 status post (still within its grace), the digest's chart
    # and its text; the other found every key taken and queued nothing.
    assert queued == [0, 3]
    pending = first.store.pending_outbox(
        now=local(11, 23, 18, 0) + timedelta(minutes=1), platform="console"
    )
    assert sum(item.message.text.startswith("一网格 今日") for item in pending) == 1
    assert sum(item.message.kind is MessageKind.IMAGE for item in pending) == 1
    assert sum("工单进展" in item.message.text for item in pending) == 1


def test_the_leader_gets_the_digest_privately_where_the_platform_allows(sqlite_url: str) -> None:
    data = config_data()
    data["grids"]["g1"]["chats"].append({"platform": "telegram", "chat_id": "-100"})
    data["grids"]["g1"]["members"].append(
        {"platform": "telegram", "user_id": "777", "name": "周网格长", "role": "leader"}
    )
    config = parse_config(data, source="test")
    bot = build_bot(config, database_url=sqlite_url, classifier=Scripted())
    with time_machine.travel(local(11, 23, 18, 0), tick=False):
        bot.jobs.tick(local(11, 23, 18, 0))
    telegram = bot.store.pending_outbox(now=local(11, 23, 18, 1), platform="telegram")
    console = bot.store.pending_outbox(now=local(11, 23, 18, 1), platform="console")
    assert [(i.message.chat_id, i.message.direct, i.message.kind) for i in telegram] == [
        ("777", True, MessageKind.IMAGE),
        ("777", True, MessageKind.TEXT),
    ]
    # The console leader (no private messages there) still gets it in the group.
    assert [i.message.chat_id for i in console] == ["chat-1", "chat-1"]


def test_the_scheduler_has_each_grids_jobs_in_shanghai_time(sqlite_url: str) -> None:
    bot = build_bot(casework_config(), database_url=sqlite_url, classifier=Scripted())
    scheduler = schedule(bot)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "g1:status:0",
        "g1:status:1",
        "g1:digest",
        "g2:status:0",
        "g2:status:1",
        "g2:digest",
        "overdue-and-visits",
    }
    assert str(scheduler.timezone) == "Asia/Shanghai"
    assert "hour='9', minute='0'" in str(jobs["g1:status:0"].trigger)
    assert "hour='18', minute='0'" in str(jobs["g1:digest"].trigger)


def test_gridbot_digest_on_demand(tmp_path: Any) -> None:
    from tests.utils.cli import run

    db = f"sqlite:///{tmp_path / 'digest.db'}"
    png = tmp_path / "chart.png"
    result = run(
        "digest", "--grid", "xingfu-1", "--date", "2026-11-23", "--png", str(png), "--db", db
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("幸福里一网格 今日工单统计（11月23日）")
    assert png.read_bytes().startswith(b"\x89PNG")
    bad = run("digest", "--grid", "nowhere", "--db", db)
    assert bad.returncode == 2 and "no grid 'nowhere'" in bad.stdout


def test_a_day_after_done_the_unrated_reporters_are_asked_once_more(clock: Clock) -> None:
    clock.say(local(11, 23, 8, 0), LIFT, sender="r1", name="李师傅")
    clock.say(local(11, 23, 10, 0), "/done 1 换了控制板", sender="w1")
    assert not [m for m in clock.tick(local(11, 24, 9, 59)) if "办结一天了" in m.text]
    [again] = [m for m in clock.tick(local(11, 24, 10, 5)) if "办结一天了" in m.text]
    assert [m.name for m in again.mentions] == ["李师傅"]
    assert not [m for m in clock.tick(local(11, 24, 11, 0)) if "办结一天了" in m.text]
    clock.say(local(11, 24, 12, 0), "5", sender="r1")
    assert clock.chat.ticket().state is TicketState.CLOSED


def test_an_overdue_referral_is_chased_but_never_escalated(clock: Clock) -> None:
    clock.say(local(11, 23, 9, 0), "有没有靠谱的家政阿姨推荐？家里想请个钟点工", sender="r1")
    clock.say(local(11, 23, 9, 30), "/refer 1 社区家政服务站周一上午开门", sender="w1")
    posts = [m.text for day in (26, 27, 28, 30) for m in clock.tick(local(11, day, 9, 0))]
    posts += [m.text for m in clock.tick(local(12, 3, 9, 0))]
    assert any("已超过跟进时限" in p for p in posts)
    assert any("督办" in p for p in posts)
    assert not any("自动上报" in p for p in posts)
    assert clock.chat.ticket().state is TicketState.REFERRED
    # The chase went on for the other tickets and the return visits: nothing stopped.
    assert clock.chat.bot.jobs.tick(local(12, 4, 9, 0)) >= 0


def test_scheduled_group_posts_mask_phone_numbers(clock: Clock) -> None:
    clock.say(local(11, 23, 8, 0), "3栋电梯坏了，有事打我电话 138 1234 5678", sender="r1")
    [morning] = clock.tick(local(11, 23, 9, 0))
    assert "5678" in morning.text and "1234 5678" not in morning.text and "****" in morning.text
