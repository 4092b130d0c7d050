"""The whole caseload run from the chat: every command, its errors, permissions, notifications,
SLA deadlines, return visits and privacy."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config, parse_config
from bot.domain import Closure, TicketState, Triage, Verdict
from bot.messages import InboundMessage
from tests.utils.builders import config_data, message
from tests.utils.fakechat import FakeChat

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
LIFT = "3栋2单元的电梯又坏了，老人上不去楼"
LIGHT = "小区门口那段马路的路灯坏了一个星期了，晚上黑黢黢的"
NANNY = "有没有靠谱的家政阿姨推荐？家里想请个钟点工"


class Scripted:
    """A classifier that says what the test needs, so these tests are about casework."""

    def classify(self, text: str) -> Verdict:
        if "煤气" in text:
            return Verdict(Triage.MINOR, "治安安全", True, 0.95, ("紧急：燃气泄漏",))
        if "困" in text:
            return Verdict(Triage.MINOR, "物业设施", True, 0.95, ("紧急：有人被困",))
        if "家政" in text:
            return Verdict(Triage.PRIVATE, "家庭事务", False, 0.9, ("家政",))
        if "路灯" in text:
            return Verdict(Triage.MAJOR, "市政设施", False, 0.9, ("路灯",))
        if "电梯" in text:
            return Verdict(Triage.MINOR, "物业设施", False, 0.9, ("电梯",))
        return Verdict(Triage.NONE, "其他", False, 0.9, ())


def casework_config() -> Config:
    data: dict[str, Any] = config_data()
    data["grids"]["g1"]["members"].append(
        {"platform": "console", "user_id": "w3", "name": "网格员小赵", "role": "gridworker"}
    )
    return parse_config(data, source="test")


class Chat(FakeChat):
    """The fake chat with a clock people can move: each message comes `minutes` later."""

    def __init__(self, config: Config, url: str) -> None:
        super().__init__(config, url, classifier=Scripted())
        self.now = MONDAY

    def at(self, when: datetime) -> None:
        self.now = when

    def say(self, text: str, *, sender: str = "r1", **fields: Any) -> list[str]:
        self.now += timedelta(minutes=1)
        fields.setdefault("time", self.now)
        return super().say(text, sender=sender, **fields)

    def ticket(self, number: int = 1) -> Any:
        return next(t for t in self.tickets() if t.number == number)


@pytest.fixture
def chat(sqlite_url: str) -> Chat:
    return Chat(casework_config(), sqlite_url)


@pytest.fixture
def pg_chat(database_url: str) -> Chat:
    return Chat(casework_config(), database_url)


# --- Intake: deadlines and who hears of a new ticket -------------------------------------------


def test_a_new_ticket_has_its_deadlines_and_the_gridworkers_hear_of_it(chat: Chat) -> None:
    [reply] = chat.say(LIFT, name="李师傅")
    assert reply.startswith("@李师傅 @网格员小王 @网格员小赵 收到，已登记为工单 #1")
    ticket = chat.ticket()
    # Monday 09:01: respond by the end of Tuesday, resolve within three working days.
    assert ticket.respond_by == datetime(2026, 11, 25, tzinfo=SHANGHAI)
    assert ticket.resolve_by == datetime(2026, 11, 27, tzinfo=SHANGHAI)


def test_an_urgent_ticket_alerts_the_gridworkers_and_the_leader_at_once(chat: Chat) -> None:
    confirmation, alert = chat.say("5栋楼道里好大一股煤气味！！")
    assert "【紧急】" in confirmation
    assert alert.startswith("@网格员小王 @周网格长 @网格员小赵 【紧急】工单 #1")
    assert "1小时内" in alert and "/claim 1" in alert
    ticket = chat.ticket()
    assert ticket.respond_by == chat.now + timedelta(hours=1)


# --- Gridworkers' commands ---------------------------------------------------------------------


def test_claim_note_done_and_the_reporter_hears_each_step(chat: Chat) -> None:
    chat.say(LIFT, name="李师傅")
    [claimed] = chat.say("/claim 1", sender="w1")
    assert claimed == "@李师傅 工单 #1 已由网格员小王签收，会尽快处理。"
    [noted] = chat.say("/note 1 已联系维保公司，下午来修", sender="w1")
    assert noted == "@李师傅 工单 #1 进展：已联系维保公司，下午来修（网格员小王）"
    [done] = chat.say("/办结 1 换了门机板，已恢复运行", sender="w1")
    assert done.startswith("@李师傅 工单 #1 已办结：换了门机板，已恢复运行（网格员小王）。")
    assert "回复一个数字" in done
    ticket = chat.ticket()
    assert (ticket.state, ticket.assignee_name) == (TicketState.RESOLVED, "网格员小王")
    assert [e.action for e in chat.events(ticket.id)] == ["opened", "claimed", "noted", "resolved"]


def test_claiming_twice_and_claiming_from_a_colleague(chat: Chat) -> None:
    chat.say(LIFT)
    chat.say("/claim 1", sender="w1")
    assert chat.say("/claim 1", sender="w1") == ["工单 #1 已经由您签收了。"]
    assert "网格员小赵签收" in chat.say("/签收 1", sender="w3")[0]
    assert chat.ticket().assignee_id == "w3"


def test_assign_to_a_gridworker_by_mention(chat: Chat) -> None:
    chat.say(LIFT, name="李师傅")
    [reply] = chat.say("/assign 1 @网格员小赵", sender="lead")
    assert reply == "@网格员小赵 @李师傅 工单 #1 已派给网格员小赵办理（周网格长派单）。"
    assert chat.ticket().assignee_id == "w3"
    assert chat.ticket().state is TicketState.CLAIMED


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/assign 1", "请 @ 要派给的网格员。"),
        ("/assign 1 @李师傅", "只能派给本网格的网格员"),
        ("/assign 1 @网格员小李", "只能派给本网格的网格员"),  # grid 2's gridworker
    ],
)
def test_assign_mistakes(chat: Chat, command: str, answer: str) -> None:
    chat.say(LIFT, name="李师傅")
    assert chat.say(command, sender="w1")[0].startswith(answer)


def test_escalate_with_level_reason_and_reference(chat: Chat) -> None:
    chat.say(LIGHT, name="张阿姨")
    [reply] = chat.say("/escalate 1 street 市政路灯归城管所 12345-1123-0042", sender="w1")
    assert reply == "@张阿姨 工单 #1 已上报街道：市政路灯归城管所（编号 12345-1123-0042）"
    ticket = chat.ticket()
    assert (ticket.state, ticket.level, ticket.external_ref) == (
        TicketState.ESCALATED,
        "street",
        "12345-1123-0042",
    )
    # Up again is fine; down or sideways is not.
    assert "只能再往上报" in chat.say("/上报 1 社区 再看看", sender="w1")[0]
    assert "已上报区级部门" in chat.say("/escalate 1 district 街道协调不了", sender="w1")[0]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/escalate 1", "请写上上报到哪一级和原因。"),
        ("/escalate 1 city 太大了", "“city”不是上报层级"),
        ("/escalate 1 street", "请写上上报的原因。"),
    ],
)
def test_escalate_mistakes(chat: Chat, command: str, answer: str) -> None:
    chat.say(LIGHT)
    reply = chat.say(command, sender="w1")[0]
    assert reply.startswith(answer) and "用法：/escalate" in reply


def test_refer_a_private_matter_keeps_the_guidance_private(chat: Chat) -> None:
    chat.say(NANNY, name="王姐")
    group, private = chat.say("/refer 1 社区推荐的家政公司电话 13812345678", sender="w1")
    assert group.startswith("@王姐 #1 的办理建议已私信发给您") and "家政" not in group
    assert (
        private == "[私信 r1] 关于您反映的 #1，网格员小王的建议：社区推荐的家政公司电话 13812345678"
    )
    ticket = chat.ticket()
    assert ticket.state is TicketState.REFERRED
    assert ticket.resolve_by is not None and ticket.resolve_by > chat.now
    # The follow-up is a /done; /refer is only for private matters.
    chat.say(LIFT)
    assert "/refer 只用于私事" in chat.say("/refer 2 自己修", sender="w1")[0]


def test_show_lists_the_whole_history(chat: Chat) -> None:
    chat.say(LIFT, name="李师傅")
    chat.say("/claim 1", sender="w1")
    chat.say("/note 1 维保下午到", sender="w1")
    [shown] = chat.say("/show 1", sender="w1")
    lines = shown.splitlines()
    assert lines[0] == "工单 #1（小事·物业设施）办理中"
    assert "内容：" + LIFT in lines
    assert any("李师傅 受理" in line for line in lines)
    assert any("网格员小王 签收" in line for line in lines)
    assert any("网格员小王 进展：维保下午到" in line for line in lines)


def test_show_of_a_private_matter_goes_to_the_gridworker_privately(chat: Chat) -> None:
    chat.say(NANNY)
    private, group = chat.say("/show 1", sender="w1")
    assert private.startswith("[私信 w1] 工单 #1（私事·家庭事务）") and "家政" in private
    assert group == "#1 是私事，经过已私信发给您。"


def test_list_filters(chat: Chat) -> None:
    chat.say(LIFT)
    chat.say(LIGHT)
    chat.say(NANNY)
    chat.say("/claim 2", sender="w1")
    assert chat.say("/list", sender="w1")[0].startswith("一网格在办工单 3 件")
    mine = chat.say("/list mine", sender="w1")[0]
    assert mine.startswith("一网格我经办的工单 1 件") and "#2" in mine
    assert "#1" not in chat.say("/list major", sender="w1")[0]
    assert "#3 私事" in chat.say("/list 私事", sender="w1")[0]
    assert "（私事，详情只告诉当事人）" in chat.say("/list private", sender="w1")[0]
    assert chat.say("/list pending", sender="w1") == ["一网格目前没有待确认的工单。"]
    assert chat.say("/list overdue", sender="w1") == ["一网格目前没有超期的工单。"]
    # A week later the minor matter and the unclaimed ones are overdue.
    chat.at(MONDAY + timedelta(days=7))
    overdue = chat.say("/list overdue", sender="w1")[0]
    assert "#1" in overdue and "⚠超期" in overdue
    reply = chat.say("/list everything", sender="w1")[0]
    assert reply.startswith("不认识“everything”。 用法：/list")


def test_reclassify_sets_new_deadlines_and_none_dismisses(chat: Chat) -> None:
    chat.say(LIFT)
    before = chat.ticket().resolve_by
    assert "改为大事·市政设施" in chat.say("/reclassify 1 major 市政设施", sender="w1")[0]
    after = chat.ticket()
    assert after.triage is Triage.MAJOR and after.resolve_by > before
    assert "已撤销" in chat.say("/纠正 1 闲聊", sender="w1")[0]
    assert chat.ticket().state is TicketState.DISMISSED


def test_merge_moves_the_followers_and_tells_them(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    chat.say("二单元那部电梯停了", sender="r2", name="赵大爷")  # no building: not auto-merged
    [reply] = chat.say("/merge 2 1", sender="w1")
    assert reply.startswith("@赵大爷 #2 与 #1 是同一件事，已并入 #1（共2位居民反映）")
    assert chat.ticket(2).state is TicketState.MERGED and chat.ticket(2).merged_into == 1
    assert [r.user_id for r in chat.ticket(1).reporters] == ["r1", "r2"]
    # Both followers hear when it is done.
    done = chat.say("/done 1 修好了", sender="w1")[0]
    assert done.startswith("@李师傅 @赵大爷 工单 #1 已办结")
    assert "并入 #1" in chat.say("/done 2 修好了", sender="w1")[0]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/merge 1", "请写上要并入的工单号。"),
        ("/merge 1 1", "不能把工单并入它自己。"),
        ("/merge 1 99", "没有找到工单 #99"),
        ("/merge 1 x", "“x”不是工单号。"),
    ],
)
def test_merge_mistakes(chat: Chat, command: str, answer: str) -> None:
    chat.say(LIFT)
    assert chat.say(command, sender="w1")[0].startswith(answer)


def test_reopen_a_resolved_ticket(chat: Chat) -> None:
    chat.say(LIFT, name="李师傅")
    chat.say("/claim 1", sender="w1")
    chat.say("/done 1 修好了", sender="w1")
    [reply] = chat.say("/reopen 1 又坏了", sender="w1")
    assert reply.startswith("@网格员小王 @李师傅 工单 #1 重新办理，应于")
    ticket = chat.ticket()
    assert (ticket.state, ticket.reopened, ticket.resolved_at) == (TicketState.OPEN, 1, None)
    assert "不能重办" in chat.say("/reopen 1", sender="w1")[0]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/done", "请写上工单号。 用法：/done"),
        ("/done 1", "请写上处理结果，报告人会看到。 用法：/done"),
        ("/done abc 修好了", "“abc”不是工单号。"),
        ("/done 99 修好了", "没有找到工单 #99，发 /list 查看在办工单。"),
        ("/note 1 ！！", "请写上进展。"),
        ("/claim", "请写上工单号。"),
        ("/show 1000000000000", "“100000000000”不是工单号。"),
    ],
)
def test_command_mistakes_get_one_line(chat: Chat, command: str, answer: str) -> None:
    chat.say(LIFT)
    [reply] = chat.say(command, sender="w1")
    assert reply.startswith(answer) and "\n" not in reply
    assert chat.ticket().state is TicketState.OPEN


# --- Residents ---------------------------------------------------------------------------------


def test_my_status_and_cancel(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    chat.say(LIGHT, sender="r2")
    [mine] = chat.say("/我的工单", sender="r1")
    assert mine.startswith("您反映过或关注的问题 1 件") and "#1" in mine and "#2" not in mine
    [status] = chat.say("/status 1", sender="r1")
    assert status.startswith("工单 #1（小事·物业设施）已受理") and "应于" in status
    assert chat.say("/status 2", sender="r1") == [
        "工单 #2 不是您反映的。发 /my 查看您反映过的问题。"
    ]
    assert "只有反映问题的居民" in chat.say("/cancel 2", sender="r1")[0]
    [cancelled] = chat.say("/撤销 1 自己找人修好了", sender="r1")
    assert cancelled.startswith("@网格员小王 @网格员小赵 好的，#1 已撤销")
    assert chat.ticket().state is TicketState.CANCELLED
    assert chat.say("/my", sender="r9") == [
        "您在本群还没有反映过问题。有事直接在群里说，我会登记成工单。"
    ]


def test_a_private_status_goes_to_the_resident_privately(chat: Chat) -> None:
    chat.say(NANNY, sender="r1")
    private, group = chat.say("/status 1", sender="r1")
    assert private.startswith("[私信 r1] 工单 #1（私事·家庭事务）") and "家政" in private
    assert group == "#1 的进度已私信发给您（没收到的话，请先私聊网格助手一次）。"


def test_a_digit_reply_rates_and_closes(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    chat.say("/done 1 修好了", sender="w1")
    assert chat.say("5", sender="r1") == ["谢谢您的评价（5分）！#1 已办结归档。"]
    ticket = chat.ticket()
    assert (ticket.state, ticket.closure) == (TicketState.CLOSED, Closure.RATED)
    assert [(r.user_id, r.score) for r in ticket.ratings] == [("r1", 5)]
    # Another "5" later is just chatter: nothing waits for a rating any more.
    assert chat.say("5", sender="r1") == []


def test_a_low_rating_reopens_and_tells_the_gridworker(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    chat.say("/claim 1", sender="w1")
    chat.say("/done 1 修好了", sender="w1")
    [reply] = chat.say("/rate 1 2 根本没修好，还是停着", sender="r1")
    assert reply.startswith("@网格员小王 抱歉没能让您满意。#1 已重新办理")
    ticket = chat.ticket()
    assert (ticket.state, ticket.reopened) == (TicketState.OPEN, 1)
    assert ticket.ratings[0].comment == "根本没修好，还是停着"
    assert [e.action for e in chat.events(ticket.id)][-1] == "rated_low"


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/rate 1", "请写上 1 到 5 的分数。"),
        ("/rate 1 6", "请写上 1 到 5 的分数。"),
        ("/rate 1 很好", "请写上 1 到 5 的分数。"),
    ],
)
def test_rating_mistakes(chat: Chat, command: str, answer: str) -> None:
    chat.say(LIFT, sender="r1")
    chat.say("/done 1 修好了", sender="w1")
    assert chat.say(command, sender="r1")[0].startswith(answer)


def test_rating_before_it_is_done_and_by_someone_else(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    assert chat.say("/rate 1 5", sender="r1") == ["工单 #1 还没有办结，办结后再请您评价。"]
    assert chat.say("4", sender="r1") == []  # nothing to rate: chatter
    chat.say("/done 1 修好了", sender="w1")
    assert "只有反映问题的居民" in chat.say("/rate 1 5", sender="r2")[0]
    assert "只有反映问题的居民" in chat.say("/rate 1 5", sender="w1")[0]


def test_an_unanswered_return_visit_closes_as_unrated(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.say("/done 1 修好了", sender="w1")
    assert chat.bot.follow_up(chat.now + timedelta(days=2)) == []
    [closed] = chat.bot.follow_up(chat.now + timedelta(days=3, minutes=1))
    assert (closed.state, closed.closure) == (TicketState.CLOSED, Closure.UNRATED)
    assert chat.events(closed.id)[-1].actor_id == "gridbot"
    # Too late for a digit; /rate still works and counts.
    assert chat.say("5", sender="r1", time=chat.now + timedelta(days=4)) == []
    chat.say("/rate 1 4", sender="r1")
    assert chat.ticket().closure is Closure.RATED


# --- Permissions -------------------------------------------------------------------------------


def test_help_shows_each_role_only_what_it_may_use(chat: Chat) -> None:
    resident = chat.say("/help", sender="r1")[0]
    worker = chat.say("/help", sender="w1")[0]
    leader = chat.say("/帮助", sender="lead")[0]
    assert "/my" in resident and "/rate" in resident and "/claim" not in resident
    assert "/claim" in worker and "/escalate" in worker and "/stats" not in worker
    assert "/stats" in leader and "/claim" in leader


def test_a_gridworker_of_another_grid_cannot_touch_the_ticket(chat: Chat) -> None:
    chat.say(LIFT)
    # In grid 1's chat, grid 2's gridworker is a resident.
    assert "只有网格员" in chat.say("/claim 1", sender="w2")[0]
    # In grid 2's chat, grid 1's ticket is out of reach.
    [reply] = chat.say("/claim 1", sender="w2", chat="chat-2")
    assert reply == "工单 #1 不属于二网格，请在它所在网格的群里处理。"
    assert chat.ticket().state is TicketState.OPEN


def test_residents_cannot_use_staff_commands(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    for command in ("/claim 1", "/note 1 好了", "/escalate 1 street 原因", "/merge 1 2", "/list"):
        assert "只有网格员" in chat.say(command, sender="r1")[0]
    assert "只有网格长、管理员" in chat.say("/stats", sender="w1")[0]


# --- Privacy -----------------------------------------------------------------------------------


def test_phone_numbers_are_masked_in_group_posts(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    [reply] = chat.say("/note 1 维保师傅电话 13812345678，下午到", sender="w1")
    assert "138****5678" in reply and "13812345678" not in reply


# --- Leaders' figures --------------------------------------------------------------------------


def test_stats_are_separate_and_honest(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")  # resolved on time, rated 5
    chat.say(LIGHT, sender="r2")  # resolved, never rated
    chat.say("5栋电梯卡住了", sender="r3")  # resolved, rated 1: reopened, not fixed
    chat.say(NANNY, sender="r4")  # still open
    for number in (1, 2, 3):
        chat.say(f"/done {number} 处理好了", sender="w1")
    chat.say("5", sender="r1")
    chat.say("1", sender="r3")
    chat.bot.follow_up(chat.now + timedelta(days=3, minutes=5))
    chat.at(chat.now + timedelta(days=3, minutes=10))
    [stats] = chat.say("/stats 7d", sender="lead")
    assert "新受理 4 件（大事 1 · 小事 2 · 私事 1）" in stats
    assert "已办结 2 件，办结率 50%" in stats
    assert "1 人打 4–5 分" in stats and "满意率 50%" in stats and "2 人评价" in stats
    assert "居民确认解决 1 件，未评价关闭 1 件，不满意重办 1 次" in stats
    assert "⚠ 现在超期" in stats


def test_the_whole_loop_on_postgres_too(pg_chat: Chat) -> None:
    pg_chat.say(LIFT, sender="r1", name="李师傅")
    pg_chat.say("二单元那部电梯停了", sender="r2", name="赵大爷")  # no building: not auto-merged
    pg_chat.say("/merge 2 1", sender="w1")
    pg_chat.say("/claim 1", sender="w1")
    pg_chat.say("/escalate 1 community 需要社区协调维保", sender="w1")
    pg_chat.say("/done 1 维保换了主板", sender="w1")
    pg_chat.say("4", sender="r2")
    ticket = pg_chat.ticket()
    assert (ticket.state, ticket.closure, ticket.level) == (
        TicketState.CLOSED,
        Closure.RATED,
        "community",
    )
    assert [r.user_id for r in ticket.reporters] == ["r1", "r2"]


def test_messages_arrive_in_order_from_the_outbox(chat: Chat) -> None:
    inbound: InboundMessage = message(LIFT, time=MONDAY)
    asyncio.run(chat.bot.receive(inbound))
    assert [m.text[:2] for m in chat.chat.take()] == ["收到"]


def test_a_follower_who_cancels_only_stops_following(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.say("3号楼2单元电梯又坏了！老人上不去楼", sender="r2")  # joins #1
    assert chat.say("/cancel 1", sender="r2") == [
        "好的，您不再关注 #1；其他居民反映的问题会继续办理。"
    ]
    ticket = chat.ticket(1)
    assert ticket.state is TicketState.OPEN and [r.user_id for r in ticket.reporters] == ["r1"]


def test_a_digit_answering_a_neighbour_is_not_a_rating(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.say("/done 1 修好了", sender="w1")
    chat.say("你住几号楼的？", sender="r2", message_id="wx-question")
    assert chat.say("3", sender="r1", reply_to="wx-question") == []
    assert chat.ticket().state is TicketState.RESOLVED
