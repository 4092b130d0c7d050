"""Low confidence is said, not hidden; gridworkers confirm or correct; corrections are learned."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import ModelMissing, build_classifier, corrections, pair_model
from bot.config import Config, parse_config
from bot.domain import TicketState, Triage
from classifiers.duplicates import PairModel
from tests.utils.builders import config_data
from tests.utils.cli import run
from tests.utils.fakechat import FakeChat

LIFT = "3栋2单元的电梯又坏了，老人上不去楼"


@pytest.fixture
def unsure_config() -> Config:
    """Every verdict is below the threshold: each appeal waits for a gridworker."""
    return parse_config(config_data(classifier={"confidence_threshold": 1.0}))


@pytest.fixture
def unsure(unsure_config: Config, sqlite_url: str) -> FakeChat:
    return FakeChat(unsure_config, sqlite_url)


def test_an_unsure_repeat_joins_the_ticket_it_repeats(unsure: FakeChat) -> None:
    unsure.say(LIFT, sender="r1")
    [reply] = unsure.say("三号楼二单元电梯又坏了！我家老人上不去楼😭", sender="r2")
    assert "已并入 #1" in reply
    [first, second] = unsure.tickets()
    assert first.state is TicketState.PENDING  # still waits for a gridworker's word
    assert second.state is TicketState.MERGED
    assert sorted(r.user_id for r in first.reporters) == ["r1", "r2"]


def test_an_unsure_ticket_waits_and_asks_the_gridworkers(unsure: FakeChat) -> None:
    [reply] = unsure.say(LIFT, sender="r1", name="李师傅")
    assert reply.startswith("@李师傅 @网格员小王 ")
    assert (
        "#1" in reply and "拿不太准" in reply and "/confirm 1" in reply and "/reclassify 1" in reply
    )
    assert unsure.tickets()[0].state is TicketState.PENDING
    [listing] = unsure.say("/list", sender="w1")
    assert "待确认" in listing


def test_confirming_opens_it_and_keeps_an_example(
    unsure: FakeChat, unsure_config: Config, sqlite_url: str
) -> None:
    unsure.say(LIFT)
    [reply] = unsure.say("/确认 1", sender="w1")
    assert "已确认为小事·物业设施" in reply
    ticket = unsure.tickets()[0]
    assert ticket.state is TicketState.OPEN
    assert unsure.events(ticket.id)[-1].action == "confirmed"
    [example] = corrections(unsure_config, sqlite_url)
    assert (example.text, example.triage, example.category) == (LIFT, "minor", "物业设施")


def test_correcting_relabels_and_is_learned(
    unsure: FakeChat, unsure_config: Config, sqlite_url: str
) -> None:
    unsure.say(LIFT)
    [reply] = unsure.say("/reclassify 1 major 市政设施", sender="w1")
    assert "改为大事·市政设施" in reply
    ticket = unsure.tickets()[0]
    assert (ticket.triage, ticket.category, ticket.state) == (
        Triage.MAJOR,
        "市政设施",
        TicketState.OPEN,
    )
    assert unsure.events(ticket.id)[-1].note == "minor/物业设施 → major/市政设施"
    [example] = corrections(unsure_config, sqlite_url)
    assert (example.triage, example.category) == ("major", "市政设施")


def test_correcting_to_chatter_dismisses_the_ticket(
    chat: FakeChat, config: Config, sqlite_url: str
) -> None:
    chat.say(LIFT)
    [reply] = chat.say("/纠正 1 none", sender="w1")
    assert "不是需要办理的诉求，已撤销" in reply
    ticket = chat.tickets()[0]
    assert ticket.state is TicketState.DISMISSED and ticket.category == "其他"
    assert chat.say("/list", sender="w1") == ["一网格目前没有在办的工单。"]
    assert corrections(config, sqlite_url)[0].triage == "none"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/reclassify 1", "请写上新的分流"),
        ("/reclassify 1 big", "不是分流"),
        ("/reclassify 1 major 天气", "没有“天气”这个分类"),
        ("/confirm 1", "不用确认"),
    ],
)
def test_correction_mistakes(chat: FakeChat, command: str, expected: str) -> None:
    chat.say(LIFT)
    [reply] = chat.say(command, sender="w1")
    assert expected in reply


def test_residents_cannot_correct(unsure: FakeChat) -> None:
    unsure.say(LIFT)
    [reply] = unsure.say("/reclassify 1 none", sender="r2")
    assert "只有网格员" in reply
    assert unsure.tickets()[0].state is TicketState.PENDING


def test_train_learns_the_corrections_and_writes_both_models(
    unsure: FakeChat, sqlite_url: str, tmp_path: Path
) -> None:
    unsure.say(LIFT)
    unsure.say("/reclassify 1 major 市政设施", sender="w1")
    folder = tmp_path / "model"
    # both models from scratch: a minute or so on a slow machine
    result = run("train", "--db", sqlite_url, "--out", str(folder), timeout=240)
    assert result.returncode == 0, result.stderr
    assert "1 gridworker corrections" in result.stdout and "labelled pairs" in result.stdout
    assert {p.name for p in folder.iterdir()} == {"model.json", "model.npz", "pairs.json"}
    retrained = parse_config(config_data(classifier={"model": str(folder)}))
    assert build_classifier(retrained).classify(LIFT).triage.is_appeal
    assert pair_model(retrained) == PairModel.load(folder / "pairs.json")


def test_a_broken_duplicate_model_says_how_to_make_one(tmp_path: Path) -> None:
    (tmp_path / "pairs.json").write_text("{not json", encoding="utf-8")
    config = parse_config(config_data(classifier={"model": str(tmp_path)}))
    with pytest.raises(ModelMissing, match=f"gridbot train --out {tmp_path}"):
        pair_model(config)
