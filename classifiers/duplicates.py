"""Repeated reports of one problem: is a new appeal the same as an open ticket of its grid?

The text is normalised as the classifier does it (simplified characters, one form for building
and unit numbers, no emoji, no @mentions). A candidate must be of the same place
(`classifiers/places.py`). Among those, boosted decision trees trained on labelled pairs
(`classifiers/data/pairs/`) score how likely the two are one problem, from rapidfuzz
similarities of the words, of the words with each concept (`classifiers/data/concepts.txt`:
电梯/升降机/电题, 老鼠/耗子 …) written one way, the things and faults both name or contradict,
what differs between the two, what the words only one of them has say of the pair (word links
learnt from the labelled pairs: 半夜 / 一晚上 link two reports, 漏水 / 灯 part them), how the
places agree, and whether the classifier gave both the same category.

Cost stays flat as a grid grows: tickets are kept in memory by (grid, place), and where one
such block is large, only the tickets that share the new text's rarest character bigrams are
compared.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from classifiers.features import domain_segmenter
from classifiers.normalize import normalise, simplify
from classifiers.places import Place, Whereabouts, place_body, whereabouts, without_places

_FIRST_SYMBOL = "\ue000"  # concepts are written as Unicode private-use characters from here
_NOISE = re.compile(r"[\W\d_]+")
_NOISE_BUT_CONCEPTS = re.compile(rf"(?:[^\w{_FIRST_SYMBOL}-\uf8ff]|[\d_])+")
# Words every report carries whatever its problem: leaving them out sharpens the comparison.
# The particles go only after the concepts are read: many a variant holds one (坏了, 又停了).
_FILLER = re.compile(r"请问|麻烦|赶紧|尽快|快点|一下|大家|我们|我家|你们|网格员|物业|社区")
_PARTICLES = re.compile(r"[了的啊呀吧呢又都还也就很太真]")
# Asking how, where or whether (a procedure, a permit, a schedule), passing on a notice or a
# plan (明天停水), saying a case is closed, or renting: another kind of message than a report
# of the same thing (门禁坏了 / 门禁卡在哪里办, 2号楼停水了 / 2号楼明天9点到5点停水). Read
# before filler and particles go (问一下, 处理好了).
_ENQUIRY = re.compile(
    r"在哪里?(?:办|交|申请|登记|报名|领)|哪里(?:办|交|申请)|怎么(?:办理|申请|交|报名|领|登记|收费|算|分摊)"
    r"|要带(?:什么|啥)|需要(?:什么|啥)(?:材料|资料|证件)|可以.{0,6}[不吗么嘛]"
    r"|几点[开关到]|几点开始|出租(?![车屋])|想租|求租|转让|通知(?!栏)|转发|公告(?!栏)|温馨提示|请教|咨询|想问|问一下|问下"
    r"|明天|后天|下周|下个月|将于|届时|要装|将要|计划|定在|报名|排在|开始缴费|开始交"
    r"|已经(?:修好|处理|解决|弄好|查清)|处理好了|解决了|查清楚了|怎么充值"
    # an earlier case put right (上周那个坑补好了，今天旁边又裂了): what follows is a new one
    r"|(?<![没未候])(?:修好|补好|抽干|焊上|填好|填上|换好|通好|弄好|修过|补过|填过)(?:了|一回|一次)"
    r"|几点(?:熄|灭|可以|能)|好多钱|啥时候开工|什么时候开工"
    # asking after an earlier case, giving advice, giving away
    r"|(?:上次|上周|上回|前几天|之前)那个.{0,20}(?:后来|结果|抓到|说法|咋样|怎么样)"
    r"|教大家|分享个|小妙招|小技巧|白送"
    # a case closed, with thanks (谢谢保洁阿姨，今天清得干干净净)
    r"|改造完了|修完了|弄完了|完工了|出院了|干干净净|清干净了|亮堂多了"
    r"|去哪(?:里|儿)?办|哪办|找谁办|咋办理|准备啥|什么材料|啥材料|多少钱|怎么交|咋交|在哪交|哪里交"
    # offering, advising, asking who can mend one's own, passing on an office's warning
    r"|要送人|想养|领养(?!老|金)|有意者|招募|团购[:：链]|[一齐起]团购|不收钱"
    r"|(?:可以|先)试试|试试看|谁会修|哪个会修|谁会弄|想自己(?:换|修|弄)|一般(?:多少|怎么|要)"
    r"|(?:社区|物业|派出所|监管|街道|居委会?|村委会?)(?:温馨)?提醒[:：]|(?:相互|互相)监督|大家以后"
    # selling, a thing found, an all-clear
    r"|原价出|出售|转卖|有意私聊|买一送一|找主人|谁捡[着到]了|认领|失主|别担心|虚惊一场"
    r"|已经(?:填平|填好|锯走|清走|拖走|救出|抓到|抓住|恢复|通了|关阀)"
    r"|装好了|铺平了|画好线|找回来了|没事了|(?<!不)合格(?!证)|好评"
    r"|免费送|便宜卖|谁想要|谁家要|能送我|去抱|转租|招室友|一起看|有人一起"
    r"|想先了解|谁认识靠谱|谁家走丢|有人捡到|捡到一|好消息|的朋友们?可以"
    r"|想一起|组队|附近哪里有|哪里有卖|哪儿有卖|家长(?:们)?看着点|大家放心"
    r"|谁要谁|谁要自己|不要钱|想要的|要的来|有多余的|免费发|志愿活动|气象台|天气预报|试过有用"
    r"|本周[一二三四五六日](?:上午|下午|晚上)?"
    r"|找谁(?:审)?批|报批|出二手|借一个|借一下|三缺一|收养(?!老)|工期(?:约|大概|预计)?[一二两三\d]"
    r"|多担待|敬请谅解|回话了"
    r"|已经在修|正在修|重新(?:种|铺|装|换)|啥时候开始|什么时候开始|登记表"
    r"|已(?:修复|恢复|修好|解决)|已经被.{0,6}带走|抓住了|清理完了|冲完了"
    r"|感谢大家(?:反映|提醒|帮忙)|感谢业主|推荐一下|会修.{0,6}师傅|(?:拉|倒|扔|放)到哪"
    r"|专业(?:维修|补漏|开锁|疏通|清洗|防水)|找我拿"
    # a new facility, a visit or a day set, a way to do it, an event (新装了, 周三上门安检)
    r"|新(?:装|放|换|建|划|铺)了|在调试|(?:上门|入户)安检|统一(?:投放|走|停放)|扫码就能"
    r"|就能(?:约|办|充|交|用|取)|(?<![上每从这])周[一二三四五六日](?:上午|下午|晚上|早上)?上门"
    r"|下个?礼拜[一二三四五六日天]|下个?星期[一二三四五六日天]|声明[:：]|大家(?:互相)?转告"
    r"|的住户注意|绕一下|请(?:大家)?绕行|以后.{0,6}直接打.{0,6}电话"
    r"|可以在.{0,8}(?:申诉|申请|办|查|预约|约)|大家可以(?:去|到|在|用|找|扫|打|报名)|有需要的"
    r"|(?:请|可以|可)(?:去|到)[^,，。!！?？\s]{0,8}(?:登记|办理|领取)(?!过|了)|欢迎[^,，。!！?？\s]{0,6}(?:参加|报名|来)|招新"
    r"|(?:公益|义诊|义剪|净滩|环保|亲子|健康|宣传)活动|记得(?:按|包|拔|签|领)"
    # advice against the cold and for a mishap at home (水管包一包, 别冻裂了, 别慌)
    r"|包一包|裹一裹|包一下|裹一下|(?:别|嫑|不要)冻(?:裂|坏|住|了)|(?:做好|注意)防冻|别慌"
    # all put right, with thanks (路灯都亮了, 放完气热乎了, 橘猫找到了, 保险理赔下来了)
    r"|舒服多了|好一[点些]了|(?<![不太])稳当(?:了|得很)|热乎了|加固了|来摘了|抱回家了"
    r"|(?:猫|狗|娃|孩子|老人|钥匙|钱包)[^,，。]{0,3}找到了"
    r"|放完气|换成.{0,6}的了|谢谢.{0,6}同志|谢谢大家(?:惦记|关心)|理赔下来"
    r"|在修了(?![^，。,]{0,8}(?:没|不))|已经(?:断电|停电|停水|派人)在修|(?<![没未])抓到了"
    r"|(?:上周|上个月|前几天|之前|去年)[^,，。]{0,8}(?:挪|清)走了"
    # selling and touting (卖鸭子咯, 二十块一斤, 八成新, 自提, 开锁找我)
    r"|卖.{0,4}[咯喽嘞啰]|(?:好|很|挺|真|特别)新鲜|新鲜得很|[块元]钱?一斤|(?<!\d)\d+一斤|[七八九]成新"
    r"|自提|(?:^|[,，\s])出一(?:辆|台|张|套)|(?:有事|需要的|要的)(?:找我|联系我|私聊|私信)"
    r"|价格(?:优惠|实惠|公道)"
    # asking whether one may, how long, which day, which bus (能临时停车吗, 要停多久)
    r"|(?:管用|好用)吗|要停多久|是不是(?:挪|搬|改)到|最多.{0,4}几[层个辆次间]|怎么分"
    r"|坐几路|几路车能|车能到.{0,6}[吗么?？]|请问[^,，。!！?？]{0,12}能(?:不能)?(?:临时)?(?:停|放|养|带)[^,，。!！?？]{0,6}[吗伐么嘛]"
    r"|是哪天|哪天(?:开始|停|来|年检|检查)|能不能自己(?:把.{0,6})?(?:换|修|调|拧|装|弄|关)"
    # a drill, the supply back, a case found out or paid for, a new schedule; explaining that
    # all is as it should be, or what to do first (来电哒, 照价赔了, 以后改成每天, 是正常点火)
    r"|演练|(?<![么时候啥会才能不没])来(?:电|水|气|暖)[了哒啦]|已经查到|查到了|我来赔|照价赔"
    r"|(?<![没未候])(?:锁好|盖好)[了哒啦]|(?<![没未候])(?:修好|补好|换好|通好|弄好)[哒啦]"
    r"|以后改成|改为每天|以后每天|要新(?:装|换|建|修)|(?:铺|装|加|换)了.{0,6}的了"
    r"|(?<![是这])不是(?:违建|坏了|坏的)(?![吗么嘛是])|就好了|就清了|是正常|正常现象|不用打电话"
    r"|不用担心|白害怕|别害怕|不要害怕|莫慌|先看看|先检查|先查查|可以来拿|过来拿"
    r"|能出去了|能进去了|能用了|可以用了|都开门|开门时间|营业时间|第一次用"
    # asking for others' experience, offering one's trade (有经验的说说, 可以找俺 俺是干暖通嘞)
    r"|要不要.{0,6}报备|需要报备|怎么报备|去哪报备|一般几|有经验的|能赔|可以找(?:我|俺)"
    r"|逮走了|抓走了"
    # asking who knows a shop or a tradesman, offering or wanting things, touting, advising
    # (有冇得人晓得哪里做雨棚, 谁家有不要的纸箱子 俺收, 要的私我, 推荐大家用U型锁)
    r"|有(?:没有得?|冇得?|无)人(?:晓得|知道|知)?(?:附近)?(?:哪里|哪家|哪个|哪儿|边度)"
    r"|有(?:没有得?|冇得?)(?:人|师傅)会(?:修|移|装|弄|换|拆)|有(?:没有得?|冇得?)人要(?!管)"
    r"|有不要的|(?:要|想要|需要|有意)的?(?:朋友)?[^，。！？,.!?]{0,3}(?:私我|私聊我|私信我)"
    r"|要链接|可以上门|推荐大家|(?:相互|互相|请)转告|转告[下一]*(?:屋企|家里|家中)?(?:老人|长辈)"
    # a notice of works and what to do first, an office's instruction (请提前储水, 如有请即报警)
    r"|请提前|提前(?:储|备|蓄)水|如有(?:疑问|需要|意向|发现|异常)|请即(?:报警|拨打|联系)"
    # a neighbour owning up (给大家赔个不是, 嘈到大家唔好意思), a case closed
    r"|赔个?不是|给大家添麻烦|(?:吵|嘈|打扰)到大家[^，。！？,.!?]{0,3}(?:不好意思|唔好意思|抱歉|见谅)"
    r"|已经(?:拆|拆掉|拆除|挪走|清理)了?(?![^。！？!?]{0,12}(?:还|又|没|也))"
    r"|装上[^，。！？,.!?]{0,4}了(?![^。！？!?]{0,8}(?:还|又|没|也))"
    r"|换了新(?![^。！？!?]{0,12}(?:又|就|还|没几天))"
    r"|下个?(?:礼拜|星期)[一二三四五六日天]?(?:来|开始|上门|统一|停|检修|施工|安装|清洗)"
    r"|几点锁|(?:可以|可|请)(?:去|到)[^,，。!！?？\s]{0,10}领(?!导)"
)
# … but not a complaint that no notice came (也没通知, 没看到停水公告, 公告栏上的通知被撕了), nor
# asking on a neighbour's behalf (他让我问一下社区): those are reports.
_NOT_ENQUIRY = re.compile(
    r"[没不未][^，。！？,.!?\s]{0,4}(?:通知|公告)|(?:通知|公告)[都也]?没"
    r"|(?:栏|上)的?通知|通知(?:听|清理)"
    r"|(?:帮忙?|让我|托我|替[^，。！？,.!?\s]{0,3})(?:想问|问一下|问下|问)"
    r"|免费(?:送|领)(?:鸡蛋|礼品)"  # the lure of a sales talk for the old
    # a new thing that failed at once, a promise not kept (新装了没几天又坏, 说周三来修到现在也没来)
    r"|新(?:装|放|换|建|划|修|开|铺)了?(?=[^，。！？,.!?]{0,8}(?:没几天|才|又|还是?|就坏))"
    r"|说(?:好|是|过)?[^，。！？,.!?]{0,10}(?:来|修|到|弄|换)"
    r"[^。！？!?]{0,12}(?:没来|没修|没人|没动静|没弄|也没|一直没|还没|到现在)"
)
# A resident's own household or belongings, or a tradesman sought for them (我家下水道堵了，
# 谁有通下水的电话): two such reports naming no place are two households' matters.
_HOUSEHOLD = re.compile(
    r"我家|我们家|俺家|自家|家里|屋里|屋企|屋头|我的(?!天|妈呀)|我车|我电(?!话)|我妈|我爸|我儿|我女"
    r"|我老|我孩|我娃"
    r"|房东|租的房|谁(?:家)?有.{0,8}(?:电话|师傅)|谁认识|哪有.{0,4}(?:修|换|卖)|有没有.{0,6}(?:师傅|电话|办法)"
    # … or a locksmith sought, not an ad's words (开锁办证的小广告)
    r"|推荐.{0,4}师傅|师傅推荐|(?<![贴的])开锁(?![^，。！？,.!?]{0,4}(?:办证|疏通|广告|贴))"
)
# … and what points that way less surely: the rooms of a home, one's own things, the
# neighbours next door.
_HOME_LIKE = re.compile(r"卫生间|厨房|客厅|卧室|钥匙|钱包|手机|身份证|我收到|我接到|隔壁|对门|楼上")
CONCEPTS = Path(__file__).parent / "data" / "concepts.txt"
# Faults that go with any other: "broken" and "nobody sees to it" say nothing against "no light".
_GENERIC_FAULTS = frozenset({"坏", "没人管", "缺少"})
# "死了" after a complaint of the senses says how bad it is (吵死了), not that something died.
_INTENSIFIER = "死了"
_FELT = frozenset({"吵", "臭", "闷热", "不热", "拥挤", "没人扫", "路滑", "不亮", "冒烟"})
# What fails for everyone at once, even when told from one's home (家里停水了): no household's.
_OUTAGES = frozenset({"停水", "停电", "停气", "水压低", "水浑"})
_NETWORKS = frozenset({"网络", "手机信号", "有线电视"})
# Parts of a thing: a lift's display and its buttons are two problems of one lift.
_PARTS = frozenset({"电子屏", "开关", "照明", "风扇", "年检", "监控", "火警"})
PAIR_MODEL = Path(__file__).parent / "model" / "pairs.json"
BLOCK_LIMIT = 40  # above this many tickets of one (grid, building), narrow by bigrams
# Word links weigh every term of one report's own against every one of the other's, and
# rapidfuzz's partial ratio aligns the shorter text at every place in the longer: of a long
# rant, the links weigh the first 100 terms of its own (its concepts, then its words in order)
# and the partial ratio seeks the opening of the shorter text (the written pairs' longest text
# is 84 characters), lest two 2,000-character messages cost a quarter of a second a candidate.
LINKED_TERMS = 100
OPENING = 160
RAREST = 6


@dataclass(frozen=True, slots=True)
class Concepts:
    """The concept lexicon: each variant word with its concept, by kind, and one private-use
    character per concept, so that a concept is a single character to rapidfuzz."""

    pattern: re.Pattern[str]
    meaning: dict[str, tuple[tuple[str, str], ...]]  # variant -> its (kind, concept)s
    symbol: dict[str, str]  # concept -> its character
    kin: dict[str, frozenset[str]]  # concept -> itself and the concepts related to it

    def find(self, text: str) -> list[tuple[str, str]]:
        """The (kind, concept) of every variant in the text, longest match first. "死了" right
        after a complaint of the senses only says how bad it is (臭死了, 音乐吵死了); after a
        fall into the river it is a death."""
        found: list[tuple[str, str]] = []
        felt_ends = -1
        for match in self.pattern.finditer(text):
            meanings = self.meaning[match[0]]
            if match[0] == _INTENSIFIER and match.start() == felt_ends:
                continue
            if any(kind == "fault" and name in _FELT for kind, name in meanings):
                felt_ends = match.end()
            found += meanings
        return found

    def canonical(self, text: str) -> str:
        """The text with every variant replaced by its concept's character."""
        return self.pattern.sub(
            lambda m: "".join(self.symbol[name] for _, name in self.meaning[m[0]]), text
        )

    def kin_of(self, names: Iterable[str]) -> frozenset[str]:
        """The concepts and all those related to them."""
        return frozenset(kin for name in names for kin in self.kin.get(name, (name,)))

    def symbols_in(self, canonical: str) -> frozenset[str]:
        """The concepts' characters in a canonical text."""
        return frozenset(char for char in canonical if char >= _FIRST_SYMBOL)


@lru_cache(maxsize=1)
def concepts(path: Path = CONCEPTS) -> Concepts:
    """Read `concepts.txt` (`kind name: variant|variant`, `related: name name …` and
    `also name: variant|variant`), once per process."""
    meaning: dict[str, tuple[str, str]] = {}
    kind_of: dict[str, str] = {}
    symbol: dict[str, str] = {}
    kin: defaultdict[str, set[str]] = defaultdict(set)
    also: defaultdict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, variants = line.partition(":")
        if head.strip() == "related":
            group = set(variants.split())
            for name in group:
                kin[name] |= group
            continue
        kind, _, name = head.strip().partition(" ")
        words = [word for variant in variants.split("|") if (word := simplify(variant.strip()))]
        if kind == "also":
            for word in words:
                also[word].append(name)
            continue
        symbol.setdefault(name, chr(ord(_FIRST_SYMBOL) + len(symbol)))
        kind_of.setdefault(name, kind)
        kin[name].add(name)
        for word in words:
            meaning.setdefault(word, (kind, name))
    named = set(kin) | {name for names in also.values() for name in names}
    if unknown := named - set(symbol):
        raise ValueError(f"{path}: no concept of the name {sorted(unknown)}")
    if unread := set(also) - set(meaning):
        raise ValueError(f"{path}: `also` of words no concept lists: {sorted(unread)}")
    return Concepts(
        re.compile(_longest_first(meaning)),
        {
            word: (found, *((kind_of[name], name) for name in also.get(word, ())))
            for word, found in meaning.items()
        },
        symbol,
        {name: frozenset(group) for name, group in kin.items()},
    )


def _longest_first(words: Iterable[str]) -> str:
    """One regular expression for the words that matches the longest of them at each place,
    written as their trie: thousands of variants cost a few steps a character, not one try
    each."""
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, dict[str, Any]]) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in node.items() if char]
        if not branches:
            return ""
        group = f"(?:{'|'.join(branches)})"
        return group + "?" if "" in node else group  # greedy: the longer word first

    return pattern(trie)


@dataclass(frozen=True, slots=True)
class Report:
    """A text reduced to what matching needs."""

    where: Whereabouts
    words: str  # the text without place words, filler and punctuation
    enquiry: bool = False  # asks how or when, passes on a notice or plan, offers a let
    household: bool = False  # about the reporter's own home or belongings
    home_like: bool = False  # … or likely so (卫生间, 钥匙, 隔壁)
    objects: frozenset[str] = frozenset()  # what it is about (电梯, 路灯, 下水道 …)
    faults: frozenset[str] = frozenset()  # what is wrong (坏, 漏水, 吵 …)
    canonical: str = ""  # the words with each concept written as one character
    chars: frozenset[str] = frozenset()  # the characters of the words
    bigrams: frozenset[str] = frozenset()  # … and their bigrams
    canonical_chars: frozenset[str] = frozenset()  # the same of the canonical words
    canonical_bigrams: frozenset[str] = frozenset()
    concept_symbols: frozenset[str] = frozenset()  # the concepts' characters in it
    object_kin: frozenset[str] = frozenset()  # its objects and those related to them
    fault_kin: frozenset[str] = frozenset()  # its specific faults and those related to them
    terms: tuple[str, ...] = ()  # its objects and faults, then jieba's words of the words

    @property
    def place(self) -> Place:
        return self.where.place

    @property
    def rooms(self) -> frozenset[str]:
        return self.where.rooms

    def same_place(self, other: Report) -> bool:
        """Same place, and not two different flats or parts of the compound."""
        return self.where.agrees(other.where)


def report(text: str) -> Report:
    """Normalise a message and take its place apart from its words."""
    body = place_body(text)
    where = whereabouts(body)
    stripped = without_places(body, where.place)
    plain = _FILLER.sub("", stripped)
    words = _NOISE.sub("", _PARTICLES.sub("", plain))
    lexicon = concepts()
    found = lexicon.find(body)
    objects = frozenset(name for kind, name in found if kind == "object")
    faults = frozenset(name for kind, name in found if kind == "fault")
    canonical = _NOISE_BUT_CONCEPTS.sub("", _PARTICLES.sub("", lexicon.canonical(plain)))
    shared = bool(faults & _OUTAGES or objects & _NETWORKS)
    return Report(
        where=where,
        words=words,
        enquiry=bool(_ENQUIRY.search(_NOT_ENQUIRY.sub("", stripped))),
        # … but water, power, gas and the network fail for everyone (家里停水了 / 我家也停水了)
        household=bool(_HOUSEHOLD.search(stripped)) and not shared,
        home_like=bool(_HOME_LIKE.search(stripped)) and not shared,
        objects=objects,
        faults=faults,
        canonical=canonical,
        chars=frozenset(words),
        bigrams=_grams(words),
        canonical_chars=frozenset(canonical),
        canonical_bigrams=_grams(canonical),
        concept_symbols=lexicon.symbols_in(canonical),
        object_kin=lexicon.kin_of(objects),
        fault_kin=lexicon.kin_of(faults - _GENERIC_FAULTS),
        terms=tuple(
            dict.fromkeys(
                [
                    *(f"o:{name}" for name in sorted(objects)),
                    *(f"f:{name}" for name in sorted(faults)),
                    *domain_segmenter().lcut(words, HMM=False),
                ]
            )
        ),
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _grams(text: str) -> frozenset[str]:
    """The character bigrams of a text."""
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


@dataclass(frozen=True)
class LinkTally:
    """How often each pair of words told two labelled reports apart (x < y), how often those
    reports were one problem, of how many pairs and how many repeats: what `WordLinks` are
    learnt from. `without` takes a part of the pairs out again."""

    seen: Counter[tuple[str, str]]
    repeats: Counter[tuple[str, str]]
    total: int
    alike: int

    @classmethod
    def of(cls, pairs: Iterable[tuple[Collection[str], Collection[str], bool]]) -> LinkTally:
        seen: Counter[tuple[str, str]] = Counter()
        repeats: Counter[tuple[str, str]] = Counter()
        total = alike = 0
        for a, b, same in pairs:
            total += 1
            alike += same
            first, second = set(a), set(b)
            keys = [(x, y) if x < y else (y, x) for x in first - second for y in second - first]
            seen.update(keys)
            if same:
                repeats.update(keys)
        return cls(seen, repeats, total, alike)

    def without(self, part: LinkTally, least: int = 1) -> LinkTally:
        """The tally of the pairs not in `part` (a tally of some of these pairs), keeping the
        word pairs seen at least `least` times."""
        seen: Counter[tuple[str, str]] = Counter()
        repeats: Counter[tuple[str, str]] = Counter()
        for key, count in self.seen.items():
            if count >= least and (left := count - part.seen.get(key, 0)) >= least:
                seen[key] = left
                repeats[key] = self.repeats.get(key, 0) - part.repeats.get(key, 0)
        return LinkTally(seen, repeats, self.total - part.total, self.alike - part.alike)


@dataclass(frozen=True)
class WordLinks:
    """What the words two reports do not share say about them, learnt from labelled pairs.

    For a word (or concept) only one report has and one only the other has, `weight` is the
    log-odds that pairs of reports differing by those two are one problem, less the log-odds
    of the pairs it was learnt from, smoothed toward that base rate: residents' words for one
    thing link (一晚上 / 半夜, 叫 / 吵, 拉鸡 / 垃圾), words for two problems part (漏水 / 灯). A
    pair of words seen fewer than `least` times is left out: it weighs nothing. `weights[x][y]`
    holds the weight of x and y with x < y (as saved); they are looked up either way round.
    """

    weights: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    _both: dict[str, dict[str, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        both: dict[str, dict[str, float]] = defaultdict(dict)
        for x, others in self.weights.items():
            for y, weight in others.items():
                both[x][y] = both[y][x] = weight
        object.__setattr__(self, "_both", dict(both))

    @classmethod
    def learn(cls, tally: LinkTally, smoothing: float = 1.0, least: int = 2) -> WordLinks:
        """Weigh the word pairs of a tally of labelled pairs."""
        if not 0 < tally.alike < tally.total:
            return cls()
        base = tally.alike / tally.total
        prior = math.log(base / (1 - base))
        weights: dict[str, dict[str, float]] = defaultdict(dict)
        for (x, y), count in tally.seen.items():
            if count >= least:
                yes = tally.repeats[x, y]
                odds = (yes + smoothing * base) / (count - yes + smoothing * (1 - base))
                weights[x][y] = round(math.log(odds) - prior, 4)
        return cls(dict(weights))

    def weight(self, x: str, y: str) -> float:
        return self._both.get(x, {}).get(y, 0.0)

    def between(self, a: Sequence[str], b: Sequence[str]) -> tuple[float, ...]:
        """What links and parts two reports' terms, in `PAIR_FEATURES` order: how well each word
        of one's own is matched by one of the other's on average and at worst, the strongest
        and the most contrary pair, how many pairs link and how many part them strongly. Of a
        long text, its first `LINKED_TERMS` words of its own are weighed."""
        in_a, in_b = set(a), set(b)
        own_a = [x for x in a if x not in in_b][:LINKED_TERMS]
        own_b = [y for y in b if y not in in_a][:LINKED_TERMS]
        if not own_a or not own_b:
            return (0.0,) * 6
        nothing: dict[str, float] = {}
        weights = [[(self._both.get(x) or nothing).get(y, 0.0) for y in own_b] for x in own_a]
        best_of_a = [max(row) for row in weights]
        best_of_b = [max(column) for column in zip(*weights, strict=True)]
        every = [w for row in weights for w in row]
        return (
            (sum(best_of_a) / len(best_of_a) + sum(best_of_b) / len(best_of_b)) / 2,
            min(min(best_of_a), min(best_of_b)),
            max(every),
            min(every),
            float(sum(w > 1 for w in every)),
            float(sum(w < -1 for w in every)),
        )


PAIR_FEATURES = (
    "words_ratio",
    "words_partial",
    "words_bigrams",
    "words_chars",
    "concept_ratio",
    "concept_bigrams",
    "concept_chars",
    "objects_jaccard",
    "objects_shared",
    "objects_differ",
    "faults_jaccard",
    "faults_shared",
    "faults_differ",
    "same_building",
    "one_building",
    "no_place",
    "same_unit",
    "same_spot",
    "same_area",
    "same_room",
    "same_category",
    "words_left",
    "words_added_only",
    "concepts_swapped",
    "concept_left",
    "concept_added_nearly_only",
    "differences_alike",
    "difference_longer",
    "both_differ",
    "core_match",
    "core_partial",
    "enquiry_differs",
    "households",
    "homes_likely",
    "objects_disjoint",
    "faults_disjoint",
    "parts_differ",
    "links_mean",
    "links_weakest",
    "links_strongest",
    "links_contrary",
    "links_for",
    "links_against",
)


def pair_features(a: Report, b: Report, same_category: bool, links: WordLinks) -> list[float]:
    """What the pair model reads about two reports of one place, in `PAIR_FEATURES` order."""
    both = bool(a.words and b.words)
    shared_objects, shared_faults = a.objects & b.objects, a.faults & b.faults
    specific_a, specific_b = a.faults - _GENERIC_FAULTS, b.faults - _GENERIC_FAULTS
    pa, pb = a.place, b.place
    only_a = a.concept_symbols - b.concept_symbols
    only_b = b.concept_symbols - a.concept_symbols
    objects_differ = bool(a.objects and b.objects and not a.objects & b.object_kin)
    faults_differ = bool(specific_a and specific_b and not specific_a & b.fault_kin)
    nowhere = not pa.named and not pb.named
    parts_a, parts_b = a.objects & _PARTS, b.objects & _PARTS
    # One text holding all the other's words is a repeat told at length, unless one is a
    # report and the other a notice or question (3号楼停水了 / 通知：3号楼明天检修停水).
    one_kind = a.enquiry == b.enquiry
    words_left, added_only = _leftovers(a.words, b.words)
    concept_left, concept_added_only, *differences = _differences(a.canonical, b.canonical)
    # The same thing with the same (or a kindred) fault, and nothing contradicting: however
    # differently the rest is told, this is what a repeat looks like.
    objects_agree = bool(a.objects & b.object_kin) and not objects_differ
    faults_agree = not faults_differ and bool(
        shared_faults
        or specific_a & b.fault_kin
        or (a.faults and b.faults and not (specific_a and specific_b))  # "broken" and any
    )
    return [
        fuzz.ratio(a.words, b.words) / 100,
        _partial_ratio(a.words, b.words) if both else 0.0,
        _jaccard(a.bigrams, b.bigrams),
        _jaccard(a.chars, b.chars),
        fuzz.ratio(a.canonical, b.canonical) / 100,
        _jaccard(a.canonical_bigrams, b.canonical_bigrams),
        _jaccard(a.canonical_chars, b.canonical_chars),
        _jaccard(a.objects, b.objects),
        float(bool(shared_objects)),
        float(objects_differ),
        _jaccard(a.faults, b.faults),
        float(bool(shared_faults)),
        float(faults_differ),
        float(bool(pa.building and pa.building == pb.building)),
        float((pa.building is None) != (pb.building is None)),
        float(nowhere),
        float(bool(pa.unit and pa.unit == pb.unit)),
        float(bool(pa.spots & pb.spots)),
        float(bool(a.where.areas & b.where.areas)),
        float(bool(a.rooms & b.rooms)),
        float(same_category),
        words_left,
        added_only if one_kind else 0.0,
        float(bool(only_a) and bool(only_b)),
        concept_left,
        concept_added_only if one_kind else 0.0,
        *differences,
        float(objects_agree and faults_agree),
        float(objects_agree and not faults_differ and not (a.faults and b.faults)),
        float(a.enquiry != b.enquiry),
        float(nowhere and a.household and b.household),
        float(
            nowhere
            and (a.household or a.home_like)
            and (b.household or b.home_like)
            and not (a.household and b.household)
        ),
        float(bool(a.objects and b.objects and not shared_objects)),
        float(bool(specific_a and specific_b and not specific_a & specific_b)),
        float(bool(parts_a and parts_b and not parts_a & parts_b)),
        *links.between(a.terms, b.terms),
    ]


def _partial_ratio(a: str, b: str) -> float:
    """rapidfuzz's partial ratio: how well the shorter text (its opening, when both are long)
    is found in the longer."""
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return fuzz.partial_ratio(shorter[:OPENING], longer) / 100


def _leftovers(a: str, b: str) -> tuple[float, float]:
    """What is left of the shorter text once the longest common subsequence is taken away, as a
    share of it, and whether nothing is: one text adding words to the other is a repeat, both
    putting other words in one place is another matter (体检 / 理发)."""
    common = LCSseq.similarity(a, b)
    left = min(len(a), len(b)) - common
    return left / max(1, min(len(a), len(b))), float(left == 0)


def _differences(a: str, b: str) -> tuple[float, float, float, float, float]:
    """What each text has that the other lacks, once their longest common subsequence is set
    aside: `_leftovers` of the two (nearly nothing left being one character), how alike those
    parts are, how much of the longer text they are, and whether both texts put two or more
    characters of their own (公交站有人打架 / 公交站有人晕倒). One alignment serves all five."""
    own_a, own_b = [], []
    for op in LCSseq.opcodes(a, b):
        if op.tag != "equal":
            own_a.append(a[op.src_start : op.src_end])
            own_b.append(b[op.dest_start : op.dest_end])
    left_a, left_b = "".join(own_a), "".join(own_b)
    left_of_shorter = len(left_a) if len(a) <= len(b) else len(left_b)
    return (
        left_of_shorter / max(1, min(len(a), len(b))),
        float(left_of_shorter <= 1),
        fuzz.ratio(left_a, left_b) / 100 if left_a and left_b else 0.0,
        max(len(left_a), len(left_b)) / max(1, max(len(a), len(b))),
        float(min(len(left_a), len(left_b)) >= 2),
    )


@dataclass(frozen=True)
class PairModel:
    """Boosted decision trees over `PAIR_FEATURES`: the probability that two reports are one
    problem.

    The trees of all rounds lie side by side in flat arrays: node `i` sends a pair whose
    feature `feature[i]` is at most `threshold[i]` to node `left[i]`, else to `right[i]`; a
    leaf points to itself and holds its share of the log-odds in `value[i]` (learning rate
    included). `roots` are the trees' first nodes, `depth` the deepest path. Features are
    compared as 32-bit floats, as the trees were fitted. `links` are the word links learnt with
    the trees, which some of the features read.
    """

    roots: tuple[int, ...]
    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]
    depth: int
    bias: float = 0.0
    links: WordLinks = field(default_factory=WordLinks, hash=False)
    _arrays: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sizes = {len(self.feature), len(self.threshold), len(self.left), len(self.right)}
        if sizes != {len(self.value)} or not self.roots:
            raise ValueError("a pair model needs trees, and one entry a node in each array")
        arrays = (
            np.asarray(self.roots, dtype=np.intp),
            np.asarray(self.feature, dtype=np.intp),
            np.asarray(self.threshold, dtype=np.float64),
            np.asarray(self.left, dtype=np.intp),
            np.asarray(self.right, dtype=np.intp),
            np.asarray(self.value, dtype=np.float64),
        )
        roots, feature, _, left, right, _ = arrays

        def outside(indices: np.ndarray, size: int) -> bool:
            return bool(indices.size and (indices.min() < 0 or indices.max() >= size))

        if any(outside(nodes, len(self.value)) for nodes in (roots, left, right)):
            raise ValueError("a pair model's trees point to nodes it does not have")
        if outside(feature, len(PAIR_FEATURES)):
            raise ValueError("a pair model's trees read features it does not have")
        object.__setattr__(self, "_arrays", arrays)

    def probabilities(self, rows: Sequence[Sequence[float]]) -> np.ndarray:
        """The probability of each row of features, all trees walked at once."""
        roots, feature, threshold, left, right, value = self._arrays
        x = np.asarray(rows, dtype=np.float32).reshape(-1, len(PAIR_FEATURES))
        nodes = np.broadcast_to(roots, (len(x), len(roots)))
        pairs = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            goes_left = x[pairs, feature[nodes]] <= threshold[nodes]
            nodes = np.where(goes_left, left[nodes], right[nodes])
        score: np.ndarray = self.bias + value[nodes].sum(axis=1)
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-score))
        return probabilities

    def probability(self, features: Sequence[float]) -> float:
        return float(self.probabilities([features])[0])

    def save(self, path: Path) -> None:
        data = {
            "features": PAIR_FEATURES,
            "kind": "boosted trees",
            "bias": self.bias,
            "depth": self.depth,
            "roots": self.roots,
            "feature": self.feature,
            "threshold": self.threshold,
            "left": self.left,
            "right": self.right,
            "value": self.value,
            "links": {  # sorted, so that a model trained again on the same pairs is the same file
                x: dict(sorted(self.links.weights[x].items())) for x in sorted(self.links.weights)
            },
        }
        path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = PAIR_MODEL) -> PairModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            tuple(data["features"]) != PAIR_FEATURES
            or data.get("kind") != "boosted trees"
            or not isinstance(data.get("links"), dict)
        ):
            raise ValueError(f"{path} was trained on other features; run `gridbot train`")
        return cls(
            roots=tuple(int(n) for n in data["roots"]),
            feature=tuple(int(n) for n in data["feature"]),
            threshold=tuple(float(t) for t in data["threshold"]),
            left=tuple(int(n) for n in data["left"]),
            right=tuple(int(n) for n in data["right"]),
            value=tuple(float(v) for v in data["value"]),
            depth=int(data["depth"]),
            bias=float(data["bias"]),
            links=WordLinks(
                {
                    str(x): {str(y): float(w) for y, w in others.items()}
                    for x, others in data["links"].items()
                }
            ),
        )


@dataclass
class _Entry:
    ticket_id: int
    category: str
    created_at: datetime
    report: Report


@dataclass
class _Block:
    """The open tickets of one (grid, building), with a bigram index."""

    entries: dict[int, _Entry] = field(default_factory=dict)
    postings: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def add(self, entry: _Entry) -> None:
        self.entries[entry.ticket_id] = entry
        for gram in entry.report.bigrams:
            self.postings[gram].add(entry.ticket_id)

    def remove(self, ticket_id: int) -> None:
        entry = self.entries.pop(ticket_id, None)
        if entry is not None:
            for gram in entry.report.bigrams:
                self.postings[gram].discard(ticket_id)

    def candidates(self, query: Report) -> Iterable[_Entry]:
        if len(self.entries) <= BLOCK_LIMIT:
            return list(self.entries.values())
        grams = sorted(
            (g for g in query.bigrams if self.postings.get(g)), key=lambda g: len(self.postings[g])
        )[:RAREST]
        shared = Counter(i for g in grams for i in self.postings[g])
        return [self.entries[i] for i, _ in shared.most_common(BLOCK_LIMIT)]


_BlockKey = tuple[str, str | None]  # (grid, building or None)


class _PlaceNames:
    """A grid's own names for its places, each rewritten as the name it stands for (in
    simplified characters, longest first, so that 南门口 is read before 南门)."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = {simplify(alias): simplify(name) for alias, name in names.items()}
        self._pattern = re.compile(_longest_first(self._names))

    def rewrite(self, text: str) -> str:
        return self._pattern.sub(lambda found: self._names[found.group()], simplify(text))


def _blocks_of(place: Place) -> Sequence[str | None]:
    """The blocks a report of this place is filed and looked for in: each building it names
    (16和17栋中间 in 16's and 17's), or none."""
    return sorted(place.buildings) or [None]


class DuplicateIndex:
    """The open tickets of every grid, ready to be matched against a new appeal.

    `threshold` is the pair model's probability, in percent, above which a report joins.
    `places` holds each grid's own names for its places (正门 → 南门, C座 → 3号楼): a text is
    read with each written as the name it stands for.
    """

    def __init__(
        self,
        threshold: float = 80.0,
        window: timedelta = timedelta(days=7),
        model: PairModel | None = None,
        places: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.threshold = threshold
        self.window = window
        self._model = model or PairModel.load()
        self._places = {
            grid_id: _PlaceNames(names) for grid_id, names in (places or {}).items() if names
        }
        self._blocks: dict[_BlockKey, _Block] = {}
        self._where: dict[int, list[_BlockKey]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._where)

    def add(
        self, ticket_id: int, grid_id: str, category: str, text: str, created_at: datetime
    ) -> None:
        """Index an open ticket (again: its old entry is replaced)."""
        parsed = report(self._named(grid_id, text))
        entry = _Entry(ticket_id, category, created_at, parsed)
        with self._lock:
            self._drop(ticket_id)
            keys = [(grid_id, building) for building in _blocks_of(parsed.place)]
            for block_key in keys:
                self._blocks.setdefault(block_key, _Block()).add(entry)
            self._where[ticket_id] = keys

    def remove(self, ticket_id: int) -> None:
        """Forget a ticket (closed, merged, a private matter now)."""
        with self._lock:
            self._drop(ticket_id)

    def _drop(self, ticket_id: int) -> None:
        for block_key in self._where.pop(ticket_id, ()):
            self._blocks[block_key].remove(ticket_id)

    def _named(self, grid_id: str, text: str) -> str:
        """The text with the grid's own names for places written as what they stand for."""
        names = self._places.get(grid_id)
        return names.rewrite(text) if names else text

    def quote(self, text: str) -> str:
        """The text a message quotes, normalised."""
        return normalise(text).quote

    def match(
        self, grid_id: str, category: str, text: str, now: datetime
    ) -> list[tuple[int, float]]:
        """The indexed tickets this text repeats, best first, as (ticket id, probability in
        percent)."""
        query = report(self._named(grid_id, text))
        if not query.words:
            # a place and nothing else (3栋2单元, @网格员 5号楼！！) says nothing of a problem
            return []
        # A report naming a building is compared with that building's tickets (those naming it
        # among others too) and with those that name none; a report naming none, with those
        # that name none.
        buildings = {None, *_blocks_of(query.place)}
        since = now - self.window
        with self._lock:
            candidates = {
                entry.ticket_id: entry
                for building in buildings
                if (block := self._blocks.get((grid_id, building))) is not None
                for entry in block.candidates(query)
            }.values()
        compared = [
            entry
            for entry in candidates
            if entry.created_at >= since and entry.report.same_place(query)
        ]
        if not compared:
            return []
        model = self._model
        scores = 100 * model.probabilities(
            [
                pair_features(entry.report, query, entry.category == category, model.links)
                for entry in compared
            ]
        )
        found = [
            (entry.ticket_id, float(score))
            for entry, score in zip(compared, scores, strict=True)
            if score >= self.threshold
        ]
        return sorted(found, key=lambda pair: -pair[1])
