"""The whole loop through the fake chat: appeals, chatter, commands, roles, privacy, failures."""

from __future__ import annotations

from datetime import UTC

import pytest
import sqlalchemy as sa

from bot.config import Config, parse_config
from bot.domain import TicketState, Triage, Verdict
from bot.messages import MessageKind
from tests.utils.builders import config_data, make_config, message
from tests.utils.fakechat import FakeChat

LIFT = "3栋2单元的电梯又坏了，老人上不去楼"
STREET_LIGHT = "小区门口的路灯坏了一个星期了，晚上黑黢黢的"
CHATTER = "大家早上好，今天降温了多穿点"


def test_appeal_opens_a_ticket_and_is_confirmed_in_one_message(chat: FakeChat) -> None:
    replies = chat.say(LIFT, sender="r1", name="李师傅")

    assert len(replies) == 1
    assert replies[0].startswith("@李师傅 ")
    assert "#1" in replies[0] and "小事" in replies[0]
    [ticket] = chat.tickets()
    assert (ticket.number, ticket.state, ticket.triage) == (1, TicketState.OPEN, Triage.MINOR)
    assert ticket.grid_id == "g1" and ticket.summary == LIFT
    assert [r.user_id for r in ticket.reporters] == ["r1"]
    assert [e.action for e in chat.events(ticket.id)] == ["opened"]


def test_chatter_gets_no_reply_and_no_ticket(chat: FakeChat) -> None:
    assert chat.say(CHATTER) == []
    assert chat.tickets() == []


def test_each_triage_says_what_happens_next(chat: FakeChat) -> None:
    major = chat.say(STREET_LIGHT)[0]
    private = chat.say("有没有靠谱的家政阿姨推荐？家里想请个钟点工")[0]

    assert "大事" in major and "上报" in major
    assert "私事" in private and "建议" in private
    assert [t.number for t in chat.tickets()] == [1, 2]


def test_urgent_appeal_is_marked(chat: FakeChat) -> None:
    reply = chat.say("5栋楼道里好大一股煤气味！！")[0]
    assert "紧急" in reply
    assert chat.tickets()[0].urgent


def test_redelivered_message_is_ignored(chat: FakeChat) -> None:
    first = message(LIFT, message_id="wx-1")
    assert len(chat.push(first)) == 1
    assert chat.push(first) == []
    assert chat.last is not None and chat.last.duplicate
    assert len(chat.tickets()) == 1


def test_non_text_messages_are_logged_with_their_kind_but_not_classified(chat: FakeChat) -> None:
    assert chat.send_kind(MessageKind.IMAGE) == []
    assert chat.send_kind(MessageKind.VOICE) == []
    assert chat.tickets() == []
    engine = chat.bot.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT kind, processed_at IS NOT NULL FROM message")).all()
    assert sorted(kinds) == [("image", 1), ("voice", 1)]


def test_gridworker_closes_a_ticket_and_the_reporter_is_told(chat: FakeChat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")

    [reply] = chat.say("/done 1 物业已修好电梯", sender="w1")

    assert reply.startswith("@李师傅 ") and "#1" in reply and "物业已修好电梯" in reply
    [ticket] = chat.tickets()
    assert ticket.state is TicketState.RESOLVED and ticket.resolved_at is not None
    _opened, resolved = chat.events(ticket.id)
    assert (resolved.action, resolved.actor_id, resolved.note) == (
        "resolved",
        "w1",
        "物业已修好电梯",
    )
    assert (resolved.from_state, resolved.to_state) == (TicketState.OPEN, TicketState.RESOLVED)


@pytest.mark.parametrize(
    "command",
    [
        "/办结 #1 物业已修好电梯",
        "／done 1，物业已修好电梯",
        "/DONE 1 物业已修好电梯",
    ],
)
def test_done_accepts_the_ways_people_type_it(chat: FakeChat, command: str) -> None:
    chat.say(LIFT)
    [reply] = chat.say(command, sender="w1")
    assert "已办结" in reply
    assert chat.tickets()[0].state is TicketState.RESOLVED


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/done", "用法：/done 工单号 处理结果"),
        ("/done 1", "请写上处理结果"),
        ("/done abc 修好了", "不是工单号"),
        ("/done 99 修好了", "没有找到工单 #99"),
        ("/frobnicate", "没有 /frobnicate 这个命令"),
        ("/list all", "用法：/list"),
    ],
)
def test_command_mistakes_get_one_helpful_line(chat: FakeChat, command: str, expected: str) -> None:
    chat.say(LIFT)
    replies = chat.say(command, sender="w1")
    assert len(replies) == 1 and expected in replies[0]
    assert "\n" not in replies[0]
    assert chat.tickets()[0].state is TicketState.OPEN


@pytest.mark.parametrize(
    ("command", "expected"),
    [("/done 1 。", "请写上处理结果"), ("/done 99999999999 修好了", "不是工单号")],
)
def test_done_needs_a_real_number_and_result(chat: FakeChat, command: str, expected: str) -> None:
    chat.say(LIFT)
    [reply] = chat.say(command, sender="w1")
    assert expected in reply
    assert chat.tickets()[0].state is TicketState.OPEN


def test_a_command_for_another_bot_is_left_alone(chat: FakeChat) -> None:
    chat.say(LIFT)
    assert chat.say("/done@otherbot 1 修好了", sender="w1") == []
    assert chat.tickets()[0].state is TicketState.OPEN


def test_a_residents_slash_message_is_still_heard(chat: FakeChat) -> None:
    [reply] = chat.say("/3栋电梯坏了老人上不去", sender="r1")
    assert "#1" in reply


def test_closing_a_private_matter_keeps_its_details_out_of_the_group(chat: FakeChat) -> None:
    chat.say("有没有靠谱的家政阿姨推荐？家里想请个钟点工", sender="r1", name="王姐")
    group, private = chat.push(message("/done 1 已把家政公司电话私下发给王姐", sender="w1"))
    assert not group.direct and group.text.startswith("#1 已办结") and "家政" not in group.text
    assert [m.name for m in group.mentions] == ["王姐"]
    assert private.direct and private.chat_id == "r1" and "家政公司电话" in private.text
    assert chat.events(chat.tickets()[0].id)[-1].note == "已把家政公司电话私下发给王姐"


def test_done_twice_is_refused(chat: FakeChat) -> None:
    chat.say(LIFT)
    chat.say("/done 1 修好了", sender="w1")
    [reply] = chat.say("/done 1 又修了一次", sender="w1")
    assert reply.startswith("工单 #1 已办结，不能办结") and "/reopen 1" in reply
    assert len(chat.events(chat.tickets()[0].id)) == 2


def test_residents_cannot_close_tickets(chat: FakeChat) -> None:
    chat.say(LIFT, sender="r1")
    [reply] = chat.say("/done 1 我觉得好了", sender="r2")
    assert "只有网格员" in reply
    assert chat.tickets()[0].state is TicketState.OPEN


def test_a_gridworker_cannot_close_another_grids_ticket(chat: FakeChat) -> None:
    chat.say(LIFT, chat="chat-1")
    [reply] = chat.say("/done 1 修好了", sender="w2", chat="chat-2")
    assert "不属于二网格" in reply
    assert chat.tickets()[0].state is TicketState.OPEN


def test_a_gridworker_of_one_grid_is_a_resident_in_another(chat: FakeChat) -> None:
    chat.say(LIFT, chat="chat-2")
    [reply] = chat.say("/done 1 修好了", sender="w1", chat="chat-2")
    assert "只有网格员" in reply


def test_help_shows_each_role_only_what_it_may_use(chat: FakeChat) -> None:
    [resident] = chat.say("/help", sender="r1")
    [worker] = chat.say("/帮助", sender="w1")
    assert "/help" in resident and "/done" not in resident and "/list" not in resident
    assert "/done" in worker and "/list" in worker and "网格员可用" in worker


def test_list_shows_the_grids_open_tickets_and_hides_private_details(chat: FakeChat) -> None:
    chat.say(LIFT)
    chat.say("有没有靠谱的家政阿姨推荐？家里想请个钟点工，电话13812345678")
    chat.say(STREET_LIGHT, chat="chat-2")
    chat.say("/done 1 修好了", sender="w1")

    [listing] = chat.say("/list", sender="w1")

    assert listing.splitlines()[0] == "一网格在办工单 1 件："
    assert "#2" in listing and "家政" not in listing and "私事" in listing
    assert "#1" not in listing and "#3" not in listing


def test_list_when_nothing_is_open(chat: FakeChat) -> None:
    assert chat.say("/在办", sender="w1") == ["一网格目前没有在办的工单。"]


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("138.1234.5678", "138****5678"),
        ("138—1234—5678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("023-68881234", "023****1234"),
        ("(010)12345678", "010****5678"),
        ("500101 19900101 1234", "500***********1234"),
        ("50010119900101123X", "500***********123X"),
    ],
)
def test_every_way_of_writing_a_number_is_masked(chat: FakeChat, written: str, shown: str) -> None:
    chat.say(f"3栋2单元的电梯又坏了，老人上不去楼，有事打我电话{written}")
    [listing] = chat.say("/list", sender="w1")
    assert shown in listing
    assert not any(run in listing for run in ("12345678", "68881234", "19900101"))


def test_dates_times_and_ticket_numbers_are_not_masked(chat: FakeChat) -> None:
    chat.say(LIFT)
    [reply] = chat.say("/done 1 2026-11-22下午3-5点修好，12345已回访", sender="w1")
    assert "2026-11-22下午3-5点修好，12345已回访" in reply


def test_names_with_phone_numbers_are_masked_in_mentions(chat: FakeChat) -> None:
    [reply] = chat.say(LIFT, sender="r9", name="王姐 139-1234-5678")
    assert reply.startswith("@王姐 139****5678 ")


def test_a_number_typed_as_a_command_is_not_echoed(chat: FakeChat) -> None:
    [reply] = chat.say("/身份证500101199001011234", sender="w1")
    assert "500101199001011234"[:10] not in reply and "没有" in reply


def test_phone_and_id_numbers_are_masked_in_group_posts(chat: FakeChat) -> None:
    chat.say("3栋2单元的电梯又坏了，老人上不去楼，我电话13812345678，身份证500101199001011234")
    [listing] = chat.say("/list", sender="w1")
    assert "138****5678" in listing and "13812345678" not in listing
    assert "500***********1234" in listing
    # The message log keeps what the resident wrote; the ticket's one-line summary, which
    # group posts show, is masked before it is cut to length.
    ticket = chat.tickets()[0]
    with chat.bot.store.transaction() as tx:
        assert "13812345678" in tx.ticket_text(ticket.id)
    assert "138****5678" in ticket.summary


def test_gridworkers_own_messages_do_not_open_tickets(chat: FakeChat) -> None:
    assert chat.say("【通知】明天上午3栋电梯维修，停用两小时", sender="w1") == []
    assert chat.tickets() == []


def test_an_unbound_chat_is_handled_as_a_grid_of_its_own(chat: FakeChat) -> None:
    [reply] = chat.say(LIFT, chat="somewhere-else")
    assert "#1" in reply
    assert chat.tickets()[0].grid_id == "console:somewhere-else"


def test_giant_and_binary_messages_are_stored_whole_and_handled(chat: FakeChat) -> None:
    giant = LIFT + "。" + "楼道里很黑" * 20_000
    [reply] = chat.say(giant)
    assert "#1" in reply
    [second] = chat.say("\x00\x01电梯\x02坏了\x00")
    assert "#2" in second
    engine = chat.bot.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        texts = [t for (t,) in conn.execute(sa.text("SELECT text FROM message ORDER BY id"))]
    assert texts[0] == giant
    assert texts[1] == "电梯坏了"
    assert chat.say("\x00\x00\x00") == []


class ExplodingClassifier:
    def classify(self, text: str) -> Verdict:
        raise RuntimeError("model file is corrupt")


def test_a_failing_stage_apologises_and_loses_nothing(
    config: Config, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    chat = FakeChat(config, sqlite_url, classifier=ExplodingClassifier())

    replies = chat.say(LIFT)

    assert len(replies) == 1 and "没能处理好" in replies[0]
    assert "failed to process message" in caplog.text
    assert chat.tickets() == []
    engine = chat.bot.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT text, error FROM message")).one()
    assert row.text == LIFT and "model file is corrupt" in row.error
    # Commands still work: the failure was confined to that one message.
    assert chat.say("/list", sender="w1") == ["一网格目前没有在办的工单。"]


def test_grid_templates_override_the_street_defaults(sqlite_url: str) -> None:
    data = config_data()
    data["grids"]["g1"]["templates"] = {"confirm_minor": "好的，{ticket} 记下了（{category}）"}
    chat = FakeChat(parse_config(data), sqlite_url)
    assert chat.say(LIFT, chat="chat-1") == ["@r1 @网格员小王 好的，#1 记下了（物业设施）"]
    assert "社区和物业" in chat.say(LIFT + "！", chat="chat-2")[0]


def test_full_loop_on_each_database(database_url: str, config: Config) -> None:
    chat = FakeChat(config, database_url)
    chat.say(LIFT, sender="r1", name="李师傅")
    chat.say(CHATTER, sender="r2")
    chat.say(STREET_LIGHT, sender="r3", chat="chat-2")
    [done] = chat.say("/done 1 修好了", sender="w1")
    assert done.startswith("@李师傅")
    tickets = chat.tickets()
    assert [(t.number, t.grid_id, t.state) for t in tickets] == [
        (1, "g1", TicketState.RESOLVED),
        (2, "g2", TicketState.OPEN),
    ]


def test_a_long_list_stays_readable(sqlite_url: str) -> None:
    # 26 posts in a minute: above the default rate limit, which is not what this test is about.
    chat = FakeChat(make_config(schedule={"max_posts_per_minute": 100}), sqlite_url)
    for building in range(1, 26):
        chat.say(f"{building}栋的电梯坏了")
    [listing] = chat.say("/list", sender="w1")
    lines = listing.splitlines()
    assert lines[0] == "一网格在办工单 25 件："
    assert len(lines) == 22 and lines[1].startswith("#1 ") and lines[20].startswith("#20 ")
    assert lines[-1] == "……还有 5 件，最早的排在前面。"


def test_nonsense_fields_are_cleaned_before_storing(chat: FakeChat) -> None:
    from datetime import datetime

    odd = message(
        "3栋电梯坏了",
        sender="x" * 300,
        name="名\x00字" * 100,
        time=datetime(1, 1, 1, tzinfo=UTC),
    )
    [reply] = chat.push(odd)
    assert "#1" in reply.text
    [ticket] = chat.tickets()
    assert ticket.reporters[0].user_id == "x" * 128
    assert "\x00" not in ticket.reporters[0].name and len(ticket.reporters[0].name) == 64
    assert ticket.created_at.year >= 2026


def test_a_store_that_fails_is_reported_not_raised(
    chat: FakeChat, caplog: pytest.LogCaptureFixture
) -> None:
    engine = chat.bot.store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE ticket_reporter"))
        conn.execute(sa.text("ALTER TABLE message RENAME TO message_gone"))
    outcome = chat.bot.pipeline.process(message(LIFT))
    assert outcome.error is not None and outcome.error.startswith("not stored")
    assert "could not store message" in caplog.text
