"""The trained classifier: normalisation, verdicts with reasons, urgency rules, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain import CATEGORIES, Triage
from classifiers import TrainedClassifier
from classifiers.normalize import chinese_number, normalise
from classifiers.rules import cues, urgent_cues
from tests.conftest import ROOT
from tests.utils.cli import run


@pytest.fixture(scope="module")
def classifier() -> TrainedClassifier:
    return TrainedClassifier()


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        ("三號樓的電梯又壞了！！！", "3栋的电梯又坏了!"),
        ("３栋２单元的灯不亮", "3栋2单元的灯不亮"),
        ("3#楼道堆满杂物😡😡", "3栋楼道堆满杂物"),
        ("3栋楼道很脏", "3栋楼道很脏"),  # the 楼 of 楼道 is not part of 3栋楼
        ("3号楼道灯不亮", "3栋楼道灯不亮"),
        ("5栋楼有人吵架", "5栋有人吵架"),
        ("3-2-402漏水", "3栋2单元402室漏水"),
        ("住3-402的邻居", "住3栋402室的邻居"),
        ("十一栋三单元五楼", "11栋3单元5楼"),
        ("電梯卡咗喺5樓，冇人理", "电梯卡了在5楼,没有人理"),
        ("[捂脸][捂脸]好的", "好的"),
        ("2026-11-22 下午3-5点停水", "2026-11-22 下午3-5点停水"),
    ],
)
def test_normalisation(raw: str, body: str) -> None:
    assert normalise(raw).body == body


def test_mentions_and_quotes_are_separated_from_the_body() -> None:
    wechat = "「张三：3栋电梯坏了」\n- - - - - - - - - - - - - - -\n@网格员小王\u2005我家也是"
    parts = normalise(wechat)
    assert (parts.body, parts.mentions, parts.quote) == ("我家也是", ("网格员小王",), "3栋电梯坏了")


def test_words_are_jiebas_full_mode_words() -> None:
    """Our walk over jieba's prefix dictionary finds exactly the words of jieba's own DAG."""
    from classifiers.features import Featurizer

    featurizer = Featurizer()
    lines = (ROOT / "classifiers" / "data" / "extra.jsonl").read_text(encoding="utf-8")
    texts = [normalise(json.loads(line)["text"]).body for line in lines.splitlines()[:300]]
    texts += ["", "电", "3栋电梯", "电梯电梯电梯", "abc 123"]
    for text in texts:
        dag = featurizer.segmenter.get_DAG(text)
        expected = [text[k : j + 1] for k, ends in dag.items() for j in ends if j > k]
        assert featurizer.words(text) == expected, text


def test_chinese_numbers() -> None:
    assert [chinese_number(x) for x in ("三", "十二", "二十一", "十", "两", "12", "abc")] == [
        3,
        12,
        21,
        10,
        2,
        12,
        None,
    ]


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("5栋楼道里好大一股煤气味", "燃气泄漏"),
        ("我妈被困在电梯里出不来了", "有人被困"),
        ("楼下王婆婆摔倒了，叫不醒", "有人倒地"),
        ("小区门口的水管爆了，水喷得老高", "爆管水淹"),
        ("我家孩子不见了，穿红衣服", "人员走失"),
        ("楼下有人拿着刀在追人", "暴力"),
    ],
)
def test_danger_rules(text: str, danger: str) -> None:
    assert danger in urgent_cues(normalise(text).body)


@pytest.mark.parametrize(
    ("text", "triage", "category"),
    [
        ("3栋2单元的电梯又坏了，老人上不去楼", Triage.MINOR, "物业设施"),
        ("小区门口马路上的井盖丢了，晚上很危险", Triage.MAJOR, "市政设施"),
        ("我妈的养老金这个月怎么没到账，找哪个部门问", Triage.MAJOR, "民生服务"),
        ("有没有靠谱的家政阿姨推荐？家里想请个钟点工", Triage.PRIVATE, "家庭事务"),
        ("谢谢王姐，电梯已经修好了👍", Triage.NONE, "其他"),
        ("大家早上好", Triage.NONE, "其他"),
    ],
)
def test_clear_messages(
    classifier: TrainedClassifier, text: str, triage: Triage, category: str
) -> None:
    verdict = classifier.classify(text)
    assert (verdict.triage, verdict.category) == (triage, category)
    assert 0 < verdict.confidence <= 1 and verdict.reasons


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("5栋2单元楼道里好大一股煤气味！！快来人", True),
        ("電梯卡咗喺5樓，我阿媽喺入面出唔嚟！！", True),
        ("【通知】本周六上午消防演习，请大家配合", False),
        ("燃气费在哪里交？", False),
    ],
)
def test_urgency(classifier: TrainedClassifier, text: str, urgent: bool) -> None:
    verdict = classifier.classify(text)
    assert verdict.urgent is urgent
    if urgent:
        assert verdict.triage.is_appeal and verdict.reasons[0].startswith("紧急")


@pytest.mark.parametrize(
    ("text", "danger_now"),
    [
        ("昨天3栋着火了", False),  # the past
        ("电梯年检是下周，可是现在1单元电梯里关了个人！", True),  # "now" beats the notice
        ("着火了，已经扑灭了", False),  # over
        ("积水退了，但车库的水还在往上涨", True),  # over, but now something else
        ("燃气公司看过了，没有漏气", False),  # denied
        ("超市还在打折卖过期牛奶", False),  # 打折 is not a fight
    ],
)
def test_danger_in_time(text: str, danger_now: bool) -> None:
    found = cues(normalise(text).body)
    assert bool(found.urgent and not found.not_now) is danger_now


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("有没有人晚上一起去河边走走", "cue:invite"),
        ("社区图书室新到了一批书，欢迎来借阅", "cue:notice"),
        ("高价回收旧空调冰箱，上门回收现金结算", "cue:advert"),
    ],
)
def test_chatter_cues(text: str, cue: str) -> None:
    assert cue in cues(normalise(text).body).features


def test_empty_and_emoji_only_messages_are_chatter(classifier: TrainedClassifier) -> None:
    for text in ("", "   ", "👍👍", "[抱拳]"):
        assert classifier.classify(text).triage is Triage.NONE


def test_every_category_is_known(classifier: TrainedClassifier) -> None:
    for text in ("路灯坏了", "垃圾没人收", "楼上漏水", "停车乱", "有人偷电瓶车"):
        assert classifier.classify(text).category in CATEGORIES


def test_classify_jsonl_interface(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(row, ensure_ascii=False)
            for row in (
                {"id": "a", "text": "3栋电梯坏了，老人上不去楼"},
                {"id": 7, "text": "早上好"},
            )
        )
        + "\nnot json\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run("classify", "--jsonl", str(source), "--out", str(out))
    assert result.returncode == 0
    assert "line 3 skipped" in result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [set(r) for r in rows] == [{"id", "triage", "category", "urgent", "confidence"}] * 2
    assert [r["id"] for r in rows] == ["a", 7]
    assert rows[0]["triage"] == "minor" and rows[1]["triage"] == "none"


def test_classify_prints_the_verdict_with_reasons() -> None:
    result = run("classify", "5栋楼道里好大一股煤气味")
    assert result.returncode == 0
    assert "紧急" in result.stdout and "依据：" in result.stdout


def test_eval_prints_the_measures(tmp_path: Path) -> None:
    labelled = tmp_path / "gold.jsonl"
    rows = [
        {"text": "3栋电梯坏了", "triage": "minor", "category": "物业设施", "urgent": False},
        {"text": "早上好", "triage": "none", "category": "其他", "urgent": False},
        {"text": "楼道里好大的煤气味", "triage": "minor", "category": "治安安全", "urgent": True},
    ]
    labelled.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
    )
    result = run("eval", str(labelled))
    assert result.returncode == 0, result.stderr
    for needle in (
        "triage: accuracy",
        "macro-F1",
        "confusion",
        "category: accuracy",
        "urgent: recall",
        "throughput:",
        "chatter wrongly ticketed",
    ):
        assert needle in result.stdout


def test_a_missing_model_says_how_to_make_one(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        (ROOT / "config.yaml").read_text(encoding="utf-8")
        + "\nclassifier:\n  model: no-such-model\n",
        encoding="utf-8",
    )
    result = run("--config", str(config), "classify", "电梯坏了")
    assert result.returncode == 2
    assert "no trained model" in result.stderr and "gridbot train --out" in result.stderr
