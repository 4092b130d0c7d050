"""One problem, one ticket: repeats join, follow-ups join by context, /split undoes a merge,
and the matcher's quality on a labelled set of message pairs."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.config import parse_config
from bot.domain import TicketState, Triage
from classifiers.duplicates import (
    CONCEPTS,
    LINKED_TERMS,
    OPENING,
    PAIR_FEATURES,
    DuplicateIndex,
    LinkTally,
    PairModel,
    WordLinks,
    _partial_ratio,
    concepts,
    report,
)
from classifiers.normalize import simplify
from classifiers.places import Place
from tests.conftest import ROOT
from tests.test_casework import MONDAY, Chat, casework_config
from tests.utils.builders import config_data

PAIRS = ROOT / "classifiers" / "data" / "pairs" / "first.jsonl"
LIFT = "3栋2单元的电梯又坏了，老人上不去楼"
LIFT_AGAIN = "三号楼二单元电梯又坏了！我家老人上不去楼😭"


@pytest.fixture
def chat(sqlite_url: str) -> Chat:
    return Chat(casework_config(), sqlite_url)


def test_a_repeat_joins_the_open_ticket(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    [reply] = chat.say(LIFT_AGAIN, sender="r2", name="赵大爷")
    assert (
        reply
        == "@赵大爷 收到，这和工单 #1 是同一件事，已并入 #1（共2位居民反映），进展会一起告诉您。"
        "（若不是同一件事，网格员发 /split 2 即可拆开）"
    )
    first, second = chat.tickets()
    assert [r.user_id for r in first.reporters] == ["r1", "r2"]
    assert (second.state, second.merged_into) == (TicketState.MERGED, 1)
    assert [e.action for e in chat.events(first.id)] == ["opened", "joined"]
    assert "2人反映" in chat.say("/list", sender="w1")[0]
    # Everyone who reported it hears when it is done.
    assert chat.say("/done 1 修好了", sender="w1")[0].startswith("@李师傅 @赵大爷 工单 #1 已办结")


def test_a_long_report_is_matched_on_all_its_words_not_its_summary(chat: Chat) -> None:
    # the summary shown in lists stops after 60 characters; the place comes later here
    long = (
        "今天早上买菜回来提着一大袋东西，腿脚又不好，在楼下等了半天，结果发现电梯又停了，"
        "按钮按了也没反应，这是这个月第三次了，7栋3单元的电梯到底什么时候能修好"
    )
    chat.say(long, sender="r1")
    assert "7栋" not in chat.ticket(1).summary
    chat.say("5栋1单元电梯又停了，按钮按了没反应", sender="r2")  # another building's lift
    [reply] = chat.say("七栋三单元电梯又停了，按了没反应", sender="r3")
    assert "已并入 #1" in reply
    assert [t.state for t in chat.tickets()] == [
        TicketState.OPEN,
        TicketState.OPEN,
        TicketState.MERGED,
    ]


def test_the_same_problem_elsewhere_is_another_ticket(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.say("5栋2单元的电梯又坏了，老人上不去楼", sender="r2")
    chat.say("3栋3单元的电梯又坏了，老人上不去楼", sender="r3")
    assert [t.state for t in chat.tickets()] == [TicketState.OPEN] * 3


def test_a_third_report_raises_the_priority(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.say(LIFT_AGAIN, sender="r2")
    chat.say("3号楼电梯坏了，老人上不去楼了，快来人修", sender="r3")
    first = chat.ticket(1)
    assert first.reports == 3 and first.high_priority


def test_an_urgent_repeat_makes_the_ticket_urgent_and_alerts(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    assert not chat.ticket(1).urgent
    joined, alert = chat.say("三栋二单元的电梯又坏了！老人上不去楼，还有人困在里面", sender="r2")
    assert "已并入 #1（共2位居民反映），进展会一起告诉您。" in joined
    assert "【紧急】工单 #1" in alert and "@周网格长" in alert
    assert chat.ticket(1).urgent


def test_plus_one_replying_to_the_report_joins_it(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", message_id="wx-lift")
    chat.now += timedelta(hours=2)  # long after: only the reply says what it is about
    [reply] = chat.say("+1", sender="r2", name="张阿姨", reply_to="wx-lift")
    assert reply == "@张阿姨 记下了，您也反映了 #1（共2位居民反映），有进展会一起告诉您。"
    assert chat.say("+1", sender="r2", reply_to="wx-lift") == [
        "您已经在关注 #1 了，有进展会告诉您。"
    ]


def test_a_follow_up_right_after_a_report_joins_it(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    assert "共2位居民反映" in chat.say("我家也是👍", sender="r2")[0]
    assert "共3位居民反映" in chat.say("楼上说的对", sender="r3")[0]


def test_a_follow_up_quoting_the_report_joins_it(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    chat.now += timedelta(hours=3)
    quoted = f"「李师傅：{LIFT}」\n- - - - - - - - - - - - - - -\n同问"
    assert "共2位居民反映" in chat.say(quoted, sender="r2")[0]


def test_a_follow_up_without_context_is_chatter(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.now += timedelta(hours=2)
    assert chat.say("+1", sender="r2") == []
    assert chat.say("同问", sender="r3") == []
    assert [len(t.reporters) for t in chat.tickets()] == [1]


def test_split_undoes_a_wrong_merge(chat: Chat) -> None:
    chat.say(LIFT, sender="r1", name="李师傅")
    chat.say(LIFT_AGAIN, sender="r2", name="赵大爷")
    [reply] = chat.say("/split 2 是另一部电梯", sender="w1")
    assert reply.startswith("@赵大爷 #2 与 #1 不是同一件事，已拆分出来单独办理")
    first, second = chat.tickets()
    assert second.state is TicketState.OPEN and second.merged_into is None
    assert [r.user_id for r in first.reporters] == ["r1"]
    assert [e.action for e in chat.events(second.id)][-1] == "split"
    assert [e.action for e in chat.events(first.id)][-1] == "split_off"
    assert chat.say("/split 1", sender="w1") == ["工单 #1 没有被合并，不用拆分。"]


def test_a_manual_merge_can_be_split_too(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.say("二单元那部电梯停了", sender="r2")
    chat.say("/merge 2 1", sender="w1")
    assert [r.user_id for r in chat.ticket(1).reporters] == ["r1", "r2"]
    chat.say("/split 2", sender="w1")
    assert [r.user_id for r in chat.ticket(1).reporters] == ["r1"]


def test_tickets_older_than_the_window_are_not_joined(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.at(MONDAY + timedelta(days=8))
    chat.say(LIFT_AGAIN, sender="r2")
    assert [t.state for t in chat.tickets()] == [TicketState.OPEN, TicketState.OPEN]


def test_place_forms_are_one_place() -> None:
    for text in (
        "3号楼2单元电梯坏了",
        "三栋二单元电梯坏了",
        "3#2单元电梯坏了",
        "3幢二单元的电梯坏了",
    ):
        place = report(text).place
        assert (place.building, place.unit) == ("3", "2"), text
    assert report("东门的路灯不亮").place.spots == frozenset({"东门"})
    assert report("东大门的道闸坏了").place.spots == frozenset({"东门"})
    for text in ("17-2电题不动了", "17-2 电梯不动了", "17栋二单元电梯坏了"):
        place = report(text).place
        assert (place.building, place.unit) == ("17", "2"), text
    for text in ("1-2楼有人在吵", "比分2-1", "3-5天了还没修"):
        assert report(text).place.building is None, text
    for text in ("九座冇水啊", "玖栋停水了", "9栋停水了"):  # Cantonese 座, 玖 as on a cheque
        assert report(text).place.building == "9", text
    assert "收拾" in report("垃圾没人收拾").words  # 拾 is a cheque digit only before 栋, 号 …
    assert (report("3-2单元停电？").place.building, report("3-2单元停电？").place.unit) == (
        "3",
        "2",
    )
    assert report("八栋七零二漏水漏到我家").rooms == {"702"}  # a flat read digit by digit
    for text, building in (
        ("A座1802家漏水", "A"),
        ("c栋电梯坏了", "C"),
        ("B1层车库积水", None),
        ("握手楼3号嘅楼梯扶手松了", "3"),  # a building word and its number
        ("8号宿舍停电了", "8"),
        ("骑楼1号铺招牌松了", None),
    ):
        assert report(text).place.building == building, text
    assert report("锦华苑的门禁坏了").place.spots == {"锦华苑"}
    for text in ("我们小区停电了", "整个小区都停水了吗", "进村那段路烂了", "今天去社区打疫苗"):
        assert not report(text).place.spots, text
    for text in ("18路车不进人民路站了", "我住人民路边上", "早上上班路过人民路", "人民路的路灯"):
        assert report(text).place.spots == {"人民路"}, text
    for text in ("2组公路边上有人倒垃圾", "把路堵了", "那条小路的路灯不亮"):
        assert not report(text).place.spots, text
    # words around a name are no part of it
    for text in (
        "郑老爷子走不动路了",
        "二组路口的反光镜坏了",
        "今晚10点前小区停水",
        "谢谢各位街坊",
    ):
        assert not report(text).place.spots, text
    assert report("离和平街不远有根管子冒水").place.spots == {"和平街"}
    # a village's landmarks are places of their own
    assert not report("一组村口那根电线杆歪了").same_place(report("一组小学门口那根电线杆歪了"))
    assert report("一组村口那根电线杆歪了").same_place(report("一组村头电杆歪得好凶"))
    assert report("村里那座老祠堂屋顶塌了一角").same_place(report("村头祠堂垮了一个角"))
    # a 小学 is a 学校 and not the 中学; two flats of one floor are two places
    assert not report("新围小学门口减速带被压烂了").same_place(report("新围中学门口的减速带坏了"))
    assert report("小学门口放学堵死了").same_place(report("学校门口那段堵得水泄不通"))
    assert not report("宿舍1栋302门锁坏了").same_place(report("宿舍1栋305门锁坏了"))
    assert report("1202天天跺脚").same_place(report("我家1102，楼上十二楼天天吵"))
    # numbered lanes and households by surname are places of their own
    assert not report("陈厝村一巷水管爆了").same_place(report("陈厝村四巷水管破了"))
    assert report("陈厝村水管爆了").same_place(report("陈厝村一巷水管爆了"))
    assert not report("林家出租屋有人在屋里充电瓶").same_place(report("黄家出租屋有人拎电池上楼充"))
    assert not report("我是石家庄来的，交钱家里人去办").where.persons
    assert not report("水管爆了 水冒老高").where.persons  # "as high as can be", not 老高
    assert report("地库B1电梯厅灯全灭了").where.floors == report("负一楼电梯厅黑了").where.floors
    assert report("8栋地下一层等电梯那块墙发霉").where.floors == {"B1"}
    assert report("楼下3楼那家").where.floors == {"3"}
    assert report("八号楼五六楼没水").where.floors == {"5", "6"}  # not the 56th
    assert not report("地下室3个电瓶车在充电").where.floors  # a count, not B3
    assert report("胜利街冒水，只能绕道和平街").place.spots == {"胜利街"}
    assert report("6座2508个冷气机滴水").rooms == {"2508"}  # Cantonese 个, not a count
    # the reporter's own flat is no place of the problem where another flat is named
    assert report("四栋602天天半夜拖凳子，我家就住502").rooms == {"602"}
    assert report("我家502漏水了").rooms == {"502"}
    assert report("地铁站A出口共享单车乱停").place.spots == {"A出口"}
    assert report("b口那些摩托佬又在揽客").place.spots == {"B出口"}
    # a street address is a building: the number after a road, a numbered 院, a lone number
    # where a road is named
    for text in (
        "人民路十五号火锅店油烟大",
        "人民路15号楼下的火锅店",
        "15号店门口招牌歪了，人民路",
    ):
        assert report(text).place == Place("15", None, frozenset({"人民路"})), text
    assert report("建设路41号院门口堵车").place.building == "41"
    assert report("41号院大门口又被堵死了，建设路这边").place.building == "41"
    assert not report("别墅区72号院子搭铁皮棚").same_place(report("别墅区75号把院墙往外砌了"))
    assert not report("人民路15号火锅店").same_place(report("人民路17号火锅店"))
    assert report("人民路56号车位被占了").place.building is None
    # two buildings named together, a gate by its side, a bus stop called 车站
    for text, buildings in (
        ("13、14号楼中间那条小路", "13+14"),
        ("11 12栋中间那条路", "11+12"),
        ("11栋和12栋之间那条路", "11+12"),
        ("1、2、3栋停水", "1+2+3"),
    ):
        assert report(text).place.building == buildings, text
    assert report("+1，3幢1单元电梯坏了").place.building == "3"  # "+1" is no building
    for text in ("六七栋之间那个小巷", "二号三号楼之间有根线", "2号楼和3号楼中间"):
        assert report(text).place.building in {"6+7", "2+3"}, text
    assert report("四条23号院的电暖器跳闸").place.building == "23"  # not 2 and 3
    # a northern building's entrance is its unit; a southern village's 社 is its group
    for text in ("5号楼3门楼道灯坏了", "五号楼三单元楼道灯不亮", "5号3门楼道灯不亮"):
        assert (report(text).place.building, report(text).place.unit) == ("5", "3"), text
    assert report("3栋门禁坏了").place.unit is None
    assert not report("5号楼3门楼道灯坏了").same_place(report("5号楼2门楼道灯坏了"))
    assert report("二社的路灯坏了").place.building == "2组"
    # a village house by its group and number is the house, its group a place around it; a house
    # by its number alone, where what lies at a house follows
    assert report("三社5号的楼梯扶手松了").place == Place("5", None, frozenset({"3组"}))
    assert report("一社23号的阿伯走丢了").same_place(report("23号厝那边的阿伯又不见了"))
    assert not report("3组12号门口有狗").same_place(report("4组12号门口有狗"))
    assert not report("3组12号门口有狗").same_place(report("3组有狗"))  # (a missed merge at worst)
    for text in ("社区搞三社联动活动", "五社共治"):
        assert report(text).place.building is None, text
    # in the north 26楼1门 is building 26 (5楼东边那户 a floor); a building faces south; a side is
    # no part of a building, and no side of another kind
    assert report("26楼1门那排信箱被撬了").place == Place("26", "1", frozenset())
    for text in ("5楼东边那户天天漏水", "二楼东边那家养狗", "3栋5楼门口堆了垃圾"):
        assert report(text).place.building != "5", text
    # … but where no building is named, a 楼 with what lies around a building is one
    for text in ("36楼前边谁摆的破桶", "37楼边上那垃圾桶着火了", "39楼车库那边进人了"):
        assert report(text).place.building == text[:2], text
    # units and towers written short, a courtyard by its number
    for text, where in (
        ("9B楼梯间有人充电", ("9", "B")),
        ("3-B的门刷不开", ("3", "B")),
        ("14栋B座旁边树上有蛇", ("14", "B")),
        ("27-2今天水是黄的", ("27", "2")),
        ("6#1门谁家装修呢", ("6", "1")),
        ("十九楼二门顶上有鸽子窝", ("19", "2")),
        ("32号院那墙缝越来越宽", ("32", None)),
        ("a24凌晨一点还在剁肉", ("A", None)),
    ):
        assert (report(text).place.building, report(text).place.unit) == where, text
    for text in ("5A级景区", "比分2-1", "2-1赢了", "车库B2-156车位被占", "3D打印店开业"):
        assert report(text).place.building is None, text
    assert report("3-2的梯子停在15F不动").place == Place("3", "2", frozenset())
    # overlapping names leave the words in one way whatever the order of a set (the longest
    # goes first), so a report reads the same in every process
    assert report("工人村东路那段路面坑坑洼洼").words == "工那段路面坑坑洼洼"
    # a market by its name, the head and the tail of a lane, the post office
    assert report("墩子塘菜场门口电动车乱停").same_place(report("墩子塘菜市场门口停满了车"))
    assert not report("墩子塘菜场门口电动车乱停").same_place(report("孺子亭菜场门口电动车乱停"))
    assert not report("小区菜场门口很脏").place.spots
    assert not report("羊子巷尾的路灯一直闪").same_place(report("羊子巷头上那盏灯一闪一闪"))
    assert not report("棋盘街老邮局门口有个坑").same_place(report("棋盘街菜场门口有个坑"))
    assert report("21号楼南边化粪池满了").same_place(report("21号楼前边那一片全是粪水"))
    assert report("文化路路口东边路灯坏了").same_place(report("文化路东边路灯坏了"))
    assert report("地下车库入口积水").same_place(report("车库东边积水"))
    assert not report("21号楼南边化粪池满了").same_place(report("21号楼北边化粪池满了"))
    assert report("9幢楼道口有电瓶车挡路").same_place(report("九幢门口横了辆电动车"))
    assert not report("文化路路口路灯亮着").same_place(report("文化路中段路灯亮着"))
    assert not report("40号楼西山墙倒了垃圾").same_place(report("40号楼东山墙倒了垃圾"))
    assert not report("6栋负一电梯停运了").same_place(report("6栋负二电梯停运了"))
    # floors far apart are two places, even where water runs down; a run of floors is not
    assert not report("6栋2单元9楼漏水漏到8楼").same_place(report("6栋2单元12楼漏水 渗到11楼了"))
    assert report("6栋2单元9楼漏水漏到8楼").same_place(report("6栋2单元8楼天花板在滴水"))
    assert report("四楼以上没水").same_place(report("8楼没水"))
    assert report("我住18楼，电梯坏了").same_place(report("我住5楼电梯又坏了"))  # their floors
    # rows by number, a market's north and south sides, a hutong named at its end
    assert not report("三排平房西头电线杆歪了").same_place(report("五排西头那根电线杆歪了"))
    assert not report("菜场北面出口全是烂菜叶").same_place(report("菜场南面出口烂菜叶一地"))
    assert report("羊肉胡同口晚上有人喝酒").place.spots == {"羊肉胡同"}
    # units by letter, a passenger lift and a goods lift, the two ends of a village
    assert not report("8栋A单元大堂玻璃门碎了").same_place(report("8栋B单元大堂玻璃门裂了"))
    assert report("3栋a单元电梯坏了").same_place(report("三栋A单元电梯又坏了"))
    assert not report("9栋客梯按钮按不亮").same_place(report("9栋货梯按钮按不亮"))
    assert not report("村口那段路全是坑").same_place(report("村尾那段路坑坑洼洼"))
    assert report("大学路有人冒充街道收费").place.spots == {"大学路"}  # 冒充 names no street
    # an old town's lanes by name; a gate one goes round by; the tennis and the basketball court
    assert not report("广兴里过道有人养鸡").same_place(report("积厚里过道里有人养鸡"))
    for text in ("小区里公共厕所堵了", "胡同里公共厕所堵了", "楼道里电表箱门掉了"):
        assert not report(text).place.spots, text
    assert report("西门那个栏杆卡死了，只能绕东门").place.spots == {"西门"}
    assert not report("网球场的灯坏了").same_place(report("篮球场的灯坏了两个"))
    # ordinary chat that names no place (a review's findings)
    for text in (
        "这条路5号开始封路",  # a day of the month
        "有人欺负一个老人",  # no 负一
        "今天负三度水管冻了",
        "我看到三条，都是死的",  # a count
        "一个星期里3次停水",
        "兩棟樓之間的路燈壞了",  # 两栋, in traditional characters
        "西边门面房漏水",
        "旁边小胡同里有人烧垃圾",
    ):
        where = report(text).where
        assert not (where.place.named or where.floors), text
    assert report("人民路路灯5号就坏了").place.building is None
    assert report("楼上1203弄得好吵").rooms == {"1203"}  # 弄 the verb
    assert report("3栋1203条件太差").rooms == {"1203"}
    assert report("没人收拾单元门口的垃圾").place.unit is None  # 拾 is no 十 here
    assert report("3栋北侧门禁坏了").place.spots == frozenset()
    assert not report("12巷水管爆了").same_place(report("2巷水管爆了"))
    assert not report("东北门的道闸坏了").same_place(report("北门道闸坏了"))
    assert not report("村口堆了好多垃圾").same_place(report("足球场堆了好多垃圾"))
    # a garage's way in and way out; shops by their trade
    assert not report("车库入口坡道积水").same_place(report("车库出口坡道积水"))
    assert not report("B座楼下便利店门口台阶破了").same_place(report("B座楼下药店门口台阶破了"))
    assert report("烧烤摊油烟大，3栋楼下").same_place(report("3栋楼下烧烤店油烟熏人"))
    # throwing down from one's own floor is no speaking of the floors below
    assert not report("23号三楼天天往楼下泼水").same_place(report("23号五楼天天往楼下倒水"))
    assert report("社区通知").place.building is None
    assert report("两栋楼之间有人吵架").place.building is None  # a count
    assert report("五条路口的单车乱停").place.spots == {"5条"}
    assert report("我们院儿(四条23)那电暖器").place.building == "23"
    assert report("137弄5号门口阴沟堵了").rooms == frozenset()  # a lane, no flat
    assert report("复兴中路口冒水").same_place(report("复兴路那里冒水"))
    assert not report("建国东路井盖丢了").same_place(report("建国西路井盖丢了"))
    assert report("D座大堂空调漏水").same_place(report("d栋一楼前台那的空调滴水"))  # no 楼前
    assert report("西门人行道上单车堆成山").same_place(report("西侧门口那段人行道全是单车"))
    assert report("团购 一台60 3栋2单元的可以一起报").place.building == "3"  # a price
    assert report("西门人行闸机坏了").same_place(report("西边小门闸机认不出脸"))
    assert report("南门外公交站的站牌被撞歪了").same_place(report("南大门出去那个车站 牌子斜了"))
    assert not report("去火车站的路").where.areas
    # hutongs by name and by number, Shanghai's lanes, the ends of a lane, rows by side
    assert not report("羊肉胡同东口井盖丢了").same_place(report("羊肉胡同西口井盖丢了"))
    assert not report("砖塔胡同有只流浪狗").same_place(report("羊肉胡同有只流浪狗"))
    assert not report("西四北三条西口公厕漏水").same_place(report("西四北四条西口公厕漏了"))
    assert report("三条12号院门口堵了").place == Place("12", None, frozenset({"3条"}))
    assert report("三条12号院门口堵了").words == "院门口堵"
    for text in ("有三条狗在叫", "第三条规定", "墙上裂了一条缝", "买了三条，"):
        assert not report(text).place.spots, text
    assert not report("47弄有人偷电瓶").same_place(report("49弄电瓶也被偷了"))
    assert report("45弄12号门口堵了").place == Place("12", None, frozenset({"45弄"}))
    assert not report("东排平房下水道堵了").same_place(report("西排平房下水道堵了"))
    # a few more parts of a grid: the light-rail station, the club, the bath house …
    assert not report("北门晚上有人喝酒闹事").same_place(report("轻轨站下面有人喝酒闹事"))
    assert not report("A座负一健身房门禁坏了").same_place(report("A座负一洗衣房门禁坏了"))
    # where a lift stops or a resident climbs to is no place of the problem
    assert report("3号楼2单元电梯又停了，卡在5楼").same_place(
        report("三栋二单元电梯坏了，爬了七层")
    )
    assert report("14栋电梯按25楼没反应").where.floors == frozenset()
    assert not report("3栋8楼楼道灯坏了").same_place(report("3栋12楼楼道灯坏了"))
    # a name read with a word before it is the same name
    assert report("打风后兴华路那棵大榕树倒了").same_place(report("兴华路大榕树塌咗"))
    assert not report("后兴华路那棵树倒了").same_place(report("新华路那棵树倒了"))


def test_one_part_of_a_compound_in_other_words_is_one_place() -> None:
    agree = [
        ("5栋2单元楼道里有老鼠", "五栋二单元楼梯间好多耗子"),
        ("地下车库B区出入口的卷帘门坏了", "车库B区卷闸门卡死了"),
        ("9栋楼顶的检修口盖子没了", "九栋天台那个洞洞盖板不见了"),
        ("和平路东段有个污水井冒水", "和平路东头那个污水井往外冒水"),
        ("南门口的地桩被撞歪了", "南大门那几根石墩墩被车撞斜了"),
        # a quarrel between flats names both, in either order
        ("3栋1202，楼上1302天天半夜拖椅子", "三栋1302那家每天晚上12点过后还在拖凳子"),
        # "那条小路", "过马路" and "把路" name no road
        ("小区背后那条小路的路灯坏了", "小区后面那条小巷子路灯一直没修好"),
        ("南门外没有斑马线，小孩过马路危险", "南门外面那段路能不能画个人行横道 学生过马路太危险"),
        ("东门外菜市场门口摊贩把路堵了", "东门外菜市场门口小摊小贩把路占完了"),
        # a neighbour quarrel: the flat above in one report, its floor in the other
        ("11栋1202天天半夜洗衣机甩干", "十一栋十二楼那家半夜开洗衣机，我家1102震得睡不着"),
        ("9栋的陈奶奶医保卡丢了", "九栋陈婆婆社保卡掉了"),
        ("北区垃圾站每天早上六点清运，声音太大", "北边垃圾车五点多就开始哐哐倒桶"),
        # floors above or below, or several, are no other place (a leak comes down)
        ("11号楼301，楼上卫生间天天往我家漏水", "11号楼四楼那家卫生间防水不行"),
        ("8号楼自来水水压太小，四楼以上上不去水", "八号楼五六楼 水龙头就滴几滴"),
        ("9号楼一楼那户在楼道里生煤球炉子", "九号楼楼道里烟熏火燎的 二楼三楼都呛得不敢开门"),
        # the reporter's own floor beside a fault of the whole building
        ("5栋电梯坏了，我住18楼爬不上去", "5栋电梯又坏了，我家8楼"),
        ("5栋停水了，我家12楼", "5栋停水，3楼也没水"),
        # words that only look like places
        ("以前楼里很干净，现在楼道堆满垃圾", "3栋楼道堆满垃圾"),
        ("垃圾没人收集上报好几次了", "5栋垃圾没人收"),
        ("小区充电桩Type-C口坏了", "3栋充电桩坏了"),
        # what lies between two buildings is beside each; a list of buildings holds each
        ("16幢和17幢当中那条弄路面塌了一个坑", "十六栋旁边小弄里一个大坑"),
        ("1、2、3栋停水了", "2栋也停水了"),
        # a building's lobby is where its stairwell begins; a river's bank by another name
        ("19号楼楼道里有人放了个旧沙发", "19号楼一楼大厅谁家扔了个破沙发"),
        ("河边凉亭里有个流浪汉", "河沿那个亭子里住了个人"),
        # a village by its entrance; a house by its number in a village, lane or estate
        ("柳湾村口的路灯白天也亮着", "柳湾村进口那几盏灯大中午还开着"),
        ("桃源坊7号有人往楼下扔垃圾", "7号楼上又往下丢东西"),
        # a house on the lane named is on that lane
        ("石板巷15号把雨棚搭到巷子中间", "石板巷那户人家的雨棚伸出来一大截"),
        # the flat above the reporter's own; a run of floors and the reporter's floor
        ("8栋503半夜拖凳子", "我住8栋403，楼上天天半夜砰砰响"),
        ("9号楼三楼往上水都上不去", "九栋住六楼的 水细得跟线一样"),
        # where a lift stops is no place, nor a count of floors walked
        ("5栋电梯按钮坏了，按不了12楼", "5栋电梯键失灵，坐到13楼再往下走一层"),
        # a mahjong room run in a flat is the household's doing, not a place
        ("2栋1单元有人在家开麻将馆", "二栋一单元那户天天打牌 楼道吵得很"),
        ("南浦市场公厕没水冲", "南浦街市那个厕所又冇水"),  # a market by its southern word
        ("纺织厂家属院4排有户人家房顶塌了", "纺织厂四排那家房顶漏了个大洞"),
        # words before 村口, 桥, 小学 or 门路 that are no name
        ("老家村口好多垃圾", "江汉村口好多垃圾"),
        ("那座桥下面有人烧垃圾", "九曲桥下面有人烧垃圾"),
        ("昨晚中学门口的路灯坏了", "今天中学门口路灯还是不亮"),
        ("一出门路上都是狗屎", "东门路上都是狗屎"),
    ]
    for a, b in agree:
        assert report(a).same_place(report(b)), (a, b)
    differ = [
        ("文化路路口的路灯白天也亮着", "文化路中段的路灯白天也亮着"),
        ("团结路消防栓漏水", "6栋门口的消防栓在漏水"),  # a road is not a building
        ("东门的道闸坏了", "西门的道闸坏了"),
        ("3栋402漏水", "3栋1502漏水"),
        ("四组的刘婆婆家房子漏雨", "四组陈大爷家的瓦房漏雨了"),  # two neighbours
        ("锦华苑的门禁坏了", "金色家园的门禁坏了"),  # two estates
        ("北环路的井盖松了", "南环路上有个井盖一压就响"),
        ("6栋楼下的石凳裂了", "中心花园的长椅断了"),  # a building is not the garden
        ("2栋2单元18楼楼道窗户关不上", "2栋2单元8楼楼道窗户坏了关不住"),  # two floors
        ("18楼楼道灯坏了三天以上", "8楼楼道灯坏了"),  # 以上 of days, not of floors
        ("4栋502每天半夜拖椅子", "四栋602天天半夜拖凳子，我家就住502"),
        ("地铁站A出口共享单车乱停", "地铁站D出口单车停得乱七八糟"),
        ("1栋楼顶水箱好像漏水", "1栋地下水泵房漏水了"),
        ("7栋楼道有死老鼠", "7栋电梯井底下有只死老鼠"),
        ("东门门禁刷卡刷不开", "西门那个门禁坏了，刷不开，只能绕到东门进"),  # a detour
        ("和平街有根自来水管爆了", "胜利街那边有根管子在冒水，离和平街不远"),
        ("4座B梯嘅声控灯唔着", "4座A梯啲灯都坏咗"),  # two lift cars
        ("7栋楼下广场舞太吵", "中心广场那边跳舞的音响开得好大"),  # a dance, not the square
        ("东区6号楼楼顶漏雨", "西区6号楼楼顶也漏雨"),  # an old compound's zones
        ("26号楼后面路灯不亮", "26号楼前头那个路灯坏了"),  # a building's back and front
        ("后门道闸坏了抬不起来", "前门那个抬杆也坏了"),
        ("三排五号院墙裂了大缝", "五排三号的院墙也裂了"),  # rows of houses
        ("二号桥桥洞下面有人烧垃圾", "三号桥底下有人烧垃圾"),
        ("王家寨那口老井里有红虫子", "岩脚屯那口老井也有红虫子"),  # a village's hamlets
        ("上寨的路灯线被偷了", "下寨的路灯线被偷了"),
        ("老街信用社门口那盏路灯坏了", "新街加油站门口那盏路灯坏了"),  # a town's old streets
        ("祥和公寓房东把消防楼梯锁了", "宏达公寓的消防楼梯门也被房东锁了"),
        ("大院东北角的消防栓漏水", "西南角那个消火栓也漏"),
        ("9栋1单元左边那部电梯困人了", "9栋1单元右边那台梯困人"),
        ("会所门口的井盖不见了", "客运站门口的井盖没了"),  # landmarks
        ("人民路老王烧烤桌子摆满人行道", "人民路上李记串串也把桌椅摆人行道上了"),  # two shops
        ("滨河路栏杆断了一截", "沿江路那段护栏松了"),
        ("13栋门口窨井冒污水", "13栋后头那个井也冒黑水了"),  # its front is not its back
        ("泳池男更衣室漏水", "泳池女更衣室地面积水很滑"),
        ("16幢和17幢当中那条弄路面塌了一个坑", "十八栋旁边小弄里一个大坑"),
        ("幼儿园门口几袋垃圾没人收", "村委门口那几包垃圾两天没人收了"),  # an office
        ("祠堂门口地砖翘起", "菜市场入口的地砖翘起来了"),
        # a place the report says it is not about
        ("西区12号楼下水道返水", "东区12号楼下水道也堵了 俺说的是东区的啊 不是西区那个"),
        # small gates, lanes named after gates, bridges, schools and hospitals, old lanes
        # (坊), works' family compounds, the car park in the open, a teahouse
        ("东小门晚上不锁", "后门晚上没人管 门大敞着"),
        ("中心广场到处是狗屎", "西小门那条路上全是狗屎"),
        ("西门街有户人家被撬门", "柳树巷昨天夜里有一户被撬门了"),
        ("老木桥下面有人电鱼", "新桥底下有人电鱼"),
        ("县人民医院门口乱停车", "县中医院门口车停得乱七八糟"),
        ("桃源坊的路灯坏了", "柳湾村进口的路灯坏了"),
        ("纺织厂家属院有人私搭棚子", "电机厂家属院有人私搭彩钢房"),
        ("地下车库有电瓶被偷了", "地面停车场有电瓶被偷了"),
        ("茶馆门口昨晚有人喝醉了闹事", "北门晚上有人喝酒闹事"),
        ("五座502晚上拖凳", "我住五座402，楼下那家天天烧香"),
        # … and what only looks like those: a floor above one's own named outright, a
        # neighbour's floor, a leak downward, a shop newly opened, a gate by its number,
        # a stolen thing carried off, a bank's floor
        ("我家上面5楼漏水", "12楼漏水"),
        ("3栋住5楼的那户天天吵", "3栋12楼天天吵"),
        ("9楼往下漏水", "3楼往下漏水"),
        ("3栋楼下开了家火锅店油烟大", "3栋楼下烧烤店油烟大"),
        ("锦华苑1号门门禁坏了", "锦华苑1号楼楼道灯坏了"),
        ("有人偷走了5楼楼道的电动车", "12楼楼道的电动车被偷了"),
        ("建设银行2楼的空调外机滴水", "8楼空调外机滴水"),
        ("中山路市场门口污水横流", "解放路市场门口污水横流"),
        ("我住402，楼上天台有人烧东西", "502漏水"),
    ]
    for a, b in differ:
        assert not report(a).same_place(report(b)), (a, b)
    assert report("打110报警了").place == report("报警了").place
    assert not report("打110报警了").rooms and not report("花了300块").rooms


# --- the labelled pairs -----------------------------------------------------------------------
# Precision and recall on labelled pairs are measured by
# bench/duplicate_quality.py (and reported in the README); here, what must always hold.


def pairs() -> list[dict[str, object]]:
    return [
        json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def merged(row: dict[str, object]) -> bool:
    index = DuplicateIndex()
    now = datetime(2026, 11, 23, tzinfo=UTC)
    index.add(1, "g", str(row["category"]), str(row["a"]), now)
    return bool(index.match("g", str(row["category"]), str(row["b"]), now))


def test_reports_from_different_buildings_are_never_merged() -> None:
    checked = 0
    for row in pairs():
        a, b = report(str(row["a"])).place, report(str(row["b"])).place
        if a.building and b.building and a.building != b.building:
            checked += 1
            assert not merged(row), row
    assert checked >= 20


def test_unrelated_reports_are_never_merged() -> None:
    rows = [row for row in pairs() if row["kind"] == "unrelated"]
    assert len(rows) >= 20
    assert not any(merged(row) for row in rows)


def test_an_exact_repeat_is_always_merged() -> None:
    rows = [row for row in pairs() if row["duplicate"]]
    assert all(merged({**row, "b": row["a"]}) for row in rows)


def test_a_notice_holding_a_reports_words_is_no_repeat_of_it() -> None:
    report_, notice = "5栋停电了", "通知：5栋明天上午9点到11点线路检修停电，请提前做好准备"
    assert not merged({"a": report_, "b": notice, "category": "市政设施"})
    assert merged({"a": report_, "b": "5栋停电了！！家里冰箱都不制冷了", "category": "市政设施"})


def test_nobody_joins_someone_elses_private_matter(chat: Chat) -> None:
    chat.say("家里老人瘫痪想请家政护工，有没有推荐，电话13812345678", sender="r1")
    assert chat.say("我家也是", sender="r2") == []
    assert [r.user_id for r in chat.ticket(1).reporters] == ["r1"]
    assert "不是您反映的" in chat.say("/status 1", sender="r2")[0]


def test_a_near_copy_taken_for_chatter_or_a_private_matter_joins(chat: Chat) -> None:
    chat.say("12栋A单元电梯运行的时候一直有异响", sender="r1")
    # the (scripted) classifier takes this for chatter, the duplicate model for a near copy
    [reply] = chat.say("12A的梯子上上下下咯吱咯吱响 坐着心里发慌", sender="r2", name="钱阿姨")
    assert reply.startswith("@钱阿姨 收到，这和工单 #1 是同一件事，已并入 #1（共2位居民反映）")
    first, second = chat.tickets()
    assert [r.user_id for r in first.reporters] == ["r1", "r2"]
    assert (second.triage, second.category, second.merged_into) == (Triage.MINOR, "物业设施", 1)
    chat.say("3栋2单元的电梯又坏了，家里老人上不去楼", sender="r3")
    # … and this, the same words and a household's own (家政), for a household's matter
    said = chat.say("三栋二单元电梯又坏了，家里老人上不去楼，请的家政阿姨也上不来", sender="r4")
    assert "已并入 #3" in said[0]
    # A household's matter less like it is its own; chatter unlike any stays chatter; a
    # gridworker's words never join.
    assert "已并入" not in chat.say("3栋电梯坏了吗？家政阿姨说上不来", sender="r5")[0]
    assert chat.say("今天天气不错，大家出来晒太阳", sender="r6") == []
    assert chat.say("12A的梯子上上下下咯吱咯吱响 坐着心里发慌", sender="w1") == []
    assert [t.triage for t in chat.tickets()][-1] is Triage.PRIVATE
    assert len(chat.tickets()) == 5


def test_a_grids_own_names_for_its_places_are_read_as_the_places_they_stand_for(
    sqlite_url: str,
) -> None:
    # In one estate the towers are lettered as well as numbered; told so, the bot reads them
    # as one building, in that grid only.
    data = config_data()
    data["grids"]["g1"]["places"] = {"C座": "3栋", "正门": "南门"}
    chat = Chat(parse_config(data, source="test"), sqlite_url)
    chat.say(LIFT, sender="r1")
    assert "已并入 #1" in chat.say("C座二单元电梯又坏了！我家老人上不去楼😭", sender="r2")[0]
    other = Chat(casework_config(), sqlite_url.replace("gridbot.db", "other.db"))
    other.say(LIFT, sender="r1")
    assert "已并入" not in other.say("C座二单元电梯又坏了！我家老人上不去楼😭", sender="r2")[0]


def test_place_names_apply_to_their_grid_in_simplified_characters() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    index = DuplicateIndex(places={"g": {"正門": "南门"}, "h": {}})
    for grid in ("g", "h"):
        index.add(1 if grid == "g" else 2, grid, "物业设施", "南门的道闸坏了 杆一直抬着放不下", now)
    [(found, _)] = index.match("g", "物业设施", "正门那个抬杆坏了 一直竖着 外面的车随便进", now)
    assert found == 1
    assert index.match("h", "物业设施", "正门那个抬杆坏了 一直竖着 外面的车随便进", now) == []


def test_a_ticket_split_off_is_found_by_later_repeats(chat: Chat) -> None:
    chat.say(LIFT, sender="r1")
    chat.say(LIFT_AGAIN, sender="r2")  # merged into #1 …
    chat.say("/split 2", sender="w1")  # … and split off again
    chat.say("/done 1 修好了", sender="w1")  # #1 is closed; #2 is the open one now
    [reply] = chat.say("3栋2单元电梯又坏了，老人上不去楼啊", sender="r3")
    assert "已并入 #2" in reply


def test_concepts_write_each_thing_one_way() -> None:
    lexicon = concepts()
    assert lexicon.canonical("楼道里好多耗子") == lexicon.canonical("楼道里好多老鼠")
    assert report("三号楼升降机烂了").objects == report("3栋电梯坏了").objects
    # a variant holding a particle (又停了, 坏了) is read before the particles go
    assert report("3栋电梯又停了").canonical == report("三号楼升降机坏了").canonical


def test_related_concepts_are_no_contradiction(tmp_path: Path) -> None:
    cover, drain = report("和平路雨水篦子堵了"), report("和平路下水道堵了")
    assert cover.objects != drain.objects and cover.objects <= drain.object_kin
    assert "停电" in report("3栋不亮了").fault_kin
    assert "常亮" not in report("3栋不亮了").fault_kin
    assert "坏" not in report("3栋电梯坏了").fault_kin  # "broken" contradicts nothing
    # where a report happens is no object of it, nor is what is said for effect
    assert report("5栋楼道里有煤气味").objects == report("五栋天然气味道好大").objects == {"燃气"}
    assert not report("楼上天天吵，烦死了").faults - {"吵"}
    assert "停电" not in report("8栋楼下有人停电动车").faults
    # a lift's fan and its inspection sticker are parts of it, each a problem of its own
    assert {"电梯", "风扇"} <= report("3栋电梯里的风扇不转，闷死了").objects
    assert {"电梯", "年检"} <= report("15栋电梯里那个年检标志过期仨月了").objects
    # "死了" after a complaint says how bad it is; after a thing, that it died
    assert report("跳舞的音乐吵死了，天天这样").faults == {"吵"}
    assert "死" in report("楼道里有只老鼠死了").faults
    assert "死" in report("有人掉河里死了").faults  # a death, after no complaint of the senses
    assert report("防盗网把窗户焊死了").faults == {"堵塞"}
    # asking how or when, or passing on a notice, is another kind of message than a report
    assert report("东门门禁卡在哪里办？新搬来的").enquiry
    assert report("通知：3栋电梯今天下午维保，请走楼梯").enquiry
    assert not report("东门门禁刷卡没反应，进不去").enquiry
    assert not report("3栋电梯又坏了，什么时候修好啊").enquiry
    assert report("2号楼明天上午9点到下午5点停水，大家提前接好水").enquiry  # a plan
    assert not report("2号楼停水了，什么时候来水？").enquiry
    assert report("昨天C座电梯困人的事已经处理好了，谢谢师傅").enquiry  # a thanks, no report
    assert report("9楼的煤气味查清楚了，是炉子没关好").enquiry  # read before particles go
    # an earlier case put right: what follows is a new one
    assert report("文化路北门外那个坑上周补好了，今天旁边又裂开一条大缝").enquiry
    assert report("南门口那坑上个月填过一回 这回又塌下去了").enquiry
    assert report("上次那个冒充社区收费的骗子后来抓到了没").enquiry  # asking after a case
    assert report("教大家个法子，暖气不热先拧放气阀").enquiry  # advice
    assert report("谢谢保洁阿姨 12栋楼下垃圾桶今天清得干干净净👍").enquiry  # a case closed
    assert not report("谢谢网格员，5栋电梯又坏了").enquiry  # a polite opening
    # giving away, recruiting, advising, asking who can mend one's own, an office's warning
    for text in (
        "谁家要小猫？3栋楼下捡的，打过针了，想领养的私聊",
        "楼道保洁志愿者招募，有意者找网格员",
        "下水道慢的可以先试试小苏打加白醋",
        "谁会修推拉门 我家那个轨道坏了",
        "派出所提醒：冒充客服退款的都是骗子",
        "电动车进楼道要罚款，大家互相监督",
    ):
        assert report(text).enquiry, text
    for text in (
        "旧沙发免费送，22栋2单元，要的自己来搬",
        "有人捡到一串钥匙吗，上面挂个小熊",
        "好消息！车棚装上充电桩了，以后别飞线了",
        "晾衣服的朋友可以买带接水盘的晾衣架",
        "谢谢大家，A座快递柜我那个件找回来了",
        "14栋有小朋友想一起跳绳吗？周末组队练习",
        "二社12号电梯本周六上午年检，9点到11点停用",
        "我家剁馅多包了饺子，谁要谁来拿，不要钱",
        "问过了，王姨去她女儿家住几天，大家放心",
        "想在天台搭个晾衣棚，要找谁审批",
        "三条中段路面开挖是在改雨污分流，工期两周，大家多担待",
        "谁家有不用的音响借一个？广场舞队要排节目",
        "物业：3栋B单元门禁已修复，刷卡恢复正常",
        "锅炉房后面喝酒闹事的那几个已经被派出所带走了",
        "请问村里装修垃圾要拉到哪倒？",
        "专业开锁换锁修锁，24小时上门",
        # asking where to buy, wanting or offering things, advising, owning up, works ahead
        "有没有人知道附近哪家修鞋的靠谱",
        "谁家有不要的泡沫箱 我收 种菜用",
        "自家树上结的桔子，要的私我",
        "推荐大家装个门磁，防盗挺好用",
        "7栋水箱周二清洗，上午停水，请提前储水",
        "我是6栋3楼装修的，给大家赔个不是，以后九点后再开工",
        "2栋楼下那个地锁城管已经拆了",
        "园林下礼拜来修剪8栋前面的树，树下别停车",
    ):
        assert report(text).enquiry, text
    assert not report("刚换了新的门禁又坏了，刷不开").enquiry  # a new thing failed at once
    for text in (  # reports worded near those cues
        "麻烦网格员转告物业",
        "楼下装上监控了还是被偷电瓶",
        "电梯下礼拜还没修好就要投诉了",
        "谁偷了我的电动车，知道的私我",
        "楼上天天装修，吵到大家了还不停",
        "有没有人知道谁家狗天天半夜叫",
        "已经拆了三天了，垃圾还堆在门口",
        "楼道灯换了新的，没几天又不亮了",
    ):
        assert not report(text).enquiry, text
    assert not report("4栋楼道贴满了开锁办证的小广告").household  # an ad's words, no household
    for text in (
        "团购群那个团长联系不上了，好多人付了钱",
        "老人领养老金要排好久的队",
        "电梯的年检合格证过期三个月了",  # 合格证 is no all-clear
        "提醒大家，那个领电费补贴的短信是诈骗",  # a warning is a report
        "刚才有人来收养老认证费，是骗子吗",  # no 收养
        "北门外面的马路被挖开了好几天没填",
        "东门外有人拉老人听讲座，免费送鸡蛋，然后卖保健品",  # the lure of a sales talk
    ):
        assert not report(text).enquiry, text
    assert report("通知：明天没电").enquiry
    assert not report("12栋楼下垃圾桶满了，麻烦尽快清一下，谢谢").enquiry
    for text in ("电梯还没修好？刚又卡在十五楼了", "上礼拜刚修过又坏，维保到底行不行"):
        assert not report(text).enquiry, text
    for text in (
        "5栋门口的公告栏玻璃碎了",
        "出租车乱停在东门",
        "通知栏被人撕了",
        "11栋停水了，也没通知",  # no notice came: a complaint
        "没看到停水公告，水就停了",
        "陈阿姨的低保没到账，她让我问一下社区",  # asked on a neighbour's behalf
        "物业可不可以帮手联系下业主",  # a request
    ):
        assert not report(text).enquiry, text
    # a new facility, a visit set, advice, an all-clear, a sale, asking whether one may
    for text in (
        "北门车棚新装了20个充电口，扫码就能充，以后别飞线了",
        "2栋的住户注意，燃气公司周三上门安检，家里留个人",
        "3巷口挖路是在换供水管，这几天大家绕一下",
        "天冷了，一楼的住户水管子记得包一包，别冻裂了",
        "谢谢物业王师傅，12号楼2门暖气放完气倍儿热乎了",
        "谢谢大家帮忙，16幢那只橘猫找到了，躲在车库里",
        "B座12楼水管爆那次泡坏的地板 保险理赔下来了",
        "73弄门口菜场今天黄鱼便宜，二十块一斤",
        "出一辆三轮车，八成新，带棚子，三条东口自提",
        "请问三条12号院门口能临时停车吗？周末亲戚开车来",
        "请问12幢电梯年检是哪天？要停多久",
    ):
        assert report(text).enquiry, text
    for text in (
        "3栋新装了没几天的门禁又坏了",  # a new thing failed at once
        "物业说周三来修，到现在也没来",  # a promise not kept
        "路灯在修了一个月还没修好",
        "楼梯扶手不稳当，晃得厉害",
        "3号楼四楼又开始电钻了，周末也不让人困",
        "谁家丢了只柯基，戴红项圈，一直在转圈叫",  # a stray is a report
    ):
        assert not report(text).enquiry, text
    # a resident's own home or belongings, or a tradesman sought for them
    assert report("家里下水道堵了 谁有通下水的电话").household
    assert report("我电瓶车的电瓶昨晚被偷了").household
    assert not report("小区又停水了").household
    # water and power fail for everyone; 我的天 and 怎么办 are no household
    for text in ("家里停水了", "我家也停水了", "我的天，电梯又坏了", "电梯又坏了，怎么办啊"):
        assert not report(text).household, text
    assert report("卫生间顶上一直在滴水").home_like and not report("卫生间顶上一直在滴水").household
    lexicon = tmp_path / "concepts.txt"
    lexicon.write_text("object 电梯: 电梯\nrelated: 电梯 扶梯\n", encoding="utf-8")
    with pytest.raises(ValueError, match="扶梯"):
        concepts.__wrapped__(lexicon)


def test_each_word_of_the_lexicon_is_listed_once() -> None:
    # the loader keeps a word's first concept: a second listing would be dead and misleading
    seen: dict[str, str] = {}
    for line in CONCEPTS.read_text(encoding="utf-8").splitlines():
        head, _, words = line.partition(":")
        if not line.strip() or line.startswith("#") or head.split()[0] in ("related", "also"):
            continue
        for word in filter(None, (simplify(word.strip()) for word in words.split("|"))):
            assert word not in seen, f"{word} in {head.strip()}, listed before in {seen[word]}"
            seen[word] = head.strip()


def test_a_word_can_name_a_thing_and_its_fault(tmp_path: Path) -> None:
    smell = report("5栋楼道里有煤气味")
    assert (smell.objects, smell.faults) == ({"燃气"}, {"漏气"})
    assert report("燃气管锈了").objects <= smell.objects
    lexicon = tmp_path / "concepts.txt"
    lexicon.write_text(
        "object 燃气: 燃气\nfault 漏气: 燃气味\nalso 燃气: 燃气味\n", encoding="utf-8"
    )
    assert concepts.__wrapped__(lexicon).find("好大的燃气味") == [
        ("fault", "漏气"),
        ("object", "燃气"),
    ]
    for wrong, name in (("also 煤气: 燃气味\n", "煤气"), ("also 燃气: 煤气味\n", "煤气味")):
        lexicon.write_text("object 燃气: 燃气\nfault 漏气: 燃气味\n" + wrong, encoding="utf-8")
        with pytest.raises(ValueError, match=name):
            concepts.__wrapped__(lexicon)


def test_the_pair_model_refuses_a_file_of_other_features(tmp_path: Path) -> None:
    model = PairModel.load()
    model.save(tmp_path / "pairs.json")
    assert PairModel.load(tmp_path / "pairs.json") == model
    data = json.loads((tmp_path / "pairs.json").read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    (tmp_path / "pairs.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="gridbot train"):
        PairModel.load(tmp_path / "pairs.json")
    # … or of trees without the word links they read
    model.save(tmp_path / "pairs.json")
    data = json.loads((tmp_path / "pairs.json").read_text(encoding="utf-8"))
    del data["links"]
    (tmp_path / "pairs.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="gridbot train"):
        PairModel.load(tmp_path / "pairs.json")


def test_a_place_alone_joins_nothing() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    index = DuplicateIndex()
    index.add(1, "g", "物业设施", LIFT, now)
    for text in ("3栋2单元", "@网格员 3栋2单元", "三栋二单元！！"):
        assert index.match("g", "物业设施", text, now) == []
    assert index.match("g", "物业设施", LIFT_AGAIN, now)


def test_a_long_ticket_is_searched_whole_for_the_shorter_text() -> None:
    passage = "、".join(f"{n}号楼楼道堆满了纸箱和旧家具" for n in range(1, 13))
    ticket = "各位邻居，" + passage + "，消防通道全堵了，" + passage
    shorter = "消防通道全堵了，" + passage
    assert len(shorter) > OPENING and len(ticket) > 2 * OPENING
    assert _partial_ratio(ticket, shorter) == _partial_ratio(shorter, ticket) == 1.0


def test_word_links_weigh_the_words_two_reports_do_not_share() -> None:
    night, midnight, leak, lamp = "一晚上", "半夜", "漏水", "灯"
    pairs = [
        *[(("狗", "叫", night), ("狗", "叫", midnight), True)] * 3,
        *[(("3栋", leak), ("3栋", lamp), False)] * 3,
        (("电梯", "坏"), ("电梯", "停"), True),  # seen once: no weight
        (("狗",), ("狗",), False),
    ]
    links = WordLinks.learn(LinkTally.of(pairs))
    assert links.weight(night, midnight) > 1 and links.weight(midnight, night) > 1
    assert links.weight(leak, lamp) < -1
    assert links.weight("坏", "停") == 0 == links.weight("狗", "叫") == links.weight("电梯", leak)
    mean, weakest, strongest, contrary, linking, parting = links.between(
        ("狗", night, leak), ("狗", midnight, lamp)
    )
    assert strongest == links.weight(night, midnight) and contrary == links.weight(leak, lamp)
    assert (linking, parting) == (1, 1) and weakest == 0 and 0 < mean < strongest
    # Nothing of one's own on a side: nothing to weigh.
    assert links.between(("狗", night), ("狗",)) == (0.0,) * 6
    # Of a long text, the opening words of its own are weighed.
    rant = (*(f"词{n}" for n in range(LINKED_TERMS)), leak)
    assert links.between(rant, (lamp,)) == (0.0,) * 6
    assert links.between(rant[-LINKED_TERMS:], (lamp,))[3] == links.weight(leak, lamp)
    # All pairs repeats, or none: no base rate to weigh against.
    assert WordLinks.learn(LinkTally.of(pairs[:3])) == WordLinks()
    assert WordLinks.learn(LinkTally.of([])) == WordLinks()


def test_a_tally_without_some_pairs_is_the_tally_of_the_others() -> None:
    rows = [
        (("狗", "叫"), ("狗", "吵"), True),
        (("狗", "叫"), ("狗", "吵"), False),
        (("灯", "坏"), ("灯", "黑"), True),
        (("叫",), ("吵", "黑"), True),
    ]
    whole, part, rest = LinkTally.of(rows), LinkTally.of(rows[:2]), LinkTally.of(rows[2:])
    assert whole.without(part) == rest
    assert whole.without(part, least=2) == LinkTally(Counter(), Counter(), 2, 2)
    assert whole.seen[("叫", "吵")] == 3 and whole.repeats[("叫", "吵")] == 2


def test_the_pair_model_reads_links_learnt_without_the_pairs_it_is_fitted_on() -> None:
    from classifiers.training import LINK_FOLDS, link_folds

    rows = [{"a": str(n), "b": "", "duplicate": n % 2, "writer": f"w{n % 7}"} for n in range(70)]
    folds = link_folds(rows)
    assert len(folds) == LINK_FOLDS and sum(map(len, folds)) == len(rows)
    writers = [{row["writer"] for row in fold} for fold in folds]
    assert all(not a & b for i, a in enumerate(writers) for b in writers[i + 1 :])
    # too few writers to deal out: pair by pair
    few = [{**row, "writer": "one"} for row in rows]
    assert [len(fold) for fold in link_folds(few)] == [14] * LINK_FOLDS


def test_a_report_naming_its_building_finds_a_ticket_that_named_none() -> None:
    # What is tested is that the ticket is compared at all; the model is less sure of a pair
    # where only one names the building, hence the lower threshold.
    index = DuplicateIndex(threshold=50)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    index.add(1, "g", "物业设施", "单元门的门禁坏了，刷卡开不了", now)
    assert index.match("g", "物业设施", "7栋单元门门禁坏了 刷卡开不了门", now)
    index.add(2, "g", "物业设施", "5栋单元门的门禁坏了，刷卡开不了", now)
    assert [t for t, _ in index.match("g", "物业设施", "7栋单元门门禁坏了 刷卡开不了门", now)] == [
        1
    ]


def test_the_pair_model_walks_its_trees_as_scikit_learn_does() -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    from classifiers.training import PAIR_TREES, trees_of

    generator = np.random.default_rng(7)
    features = generator.random((600, len(PAIR_FEATURES)))
    # a label of interactions, as the real features' are; probes in float64 that the trees, as
    # scikit-learn's, compare as float32
    labels = (features[:, 0] > 0.5) ^ (features[:, 3] * features[:, 9] > 0.3)
    fitted = GradientBoostingClassifier(init="zero", random_state=0, **PAIR_TREES).fit(
        features, labels
    )
    model = trees_of(fitted)
    probe = generator.random((400, len(PAIR_FEATURES)))
    assert np.allclose(model.probabilities(probe), fitted.predict_proba(probe)[:, 1], atol=1e-12)
    assert model.probability(list(probe[0])) == pytest.approx(fitted.predict_proba(probe[:1])[0, 1])


def test_a_pair_model_of_broken_trees_is_refused() -> None:
    good = PairModel.load()
    with pytest.raises(ValueError, match="point to nodes"):
        replace(good, left=(len(good.value), *good.left[1:]))
    with pytest.raises(ValueError, match="read features"):
        replace(good, feature=(len(PAIR_FEATURES), *good.feature[1:]))
    with pytest.raises(ValueError, match="one entry a node"):
        replace(good, value=good.value[:-1])
