"""Repeated reports of one problem: is a new appeal the same as an open ticket of its grid?

The text is normalised as the classifier does it (simplified characters, one form for building
and unit numbers, no emoji, no @mentions). A candidate must be of the same category and the
same place: the same building (and unit, where both say one), the same gate or road. Among those
the texts are compared with rapidfuzz, without the place words, which every report of a place
shares anyway.

Cost stays flat as a grid grows: tickets are kept in memory by (grid, category, place), and
where one such block is large, only the tickets that share the new text's rarest character
bigrams are compared.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from classifiers.normalize import normalise

_BUILDING = re.compile(r"(\d{1,3})栋")
_UNIT = re.compile(r"(\d{1,2})单元")
_ROOM = re.compile(r"\d{3,4}室")
_ROOMS = re.compile(r"(?:单元|栋|^|\s)(\d{3,4})(?=室|[^\d]|$)")
_GATE = re.compile(r"[东南西北]{1,2}(?:大)?门|[A-Za-z甲乙丙丁]区|[一二三四五六七八九\d]期")
# Parts of a compound: two reports naming different ones are about different spots.
_AREA = re.compile(
    r"地下室|地下车库|车库|楼梯间|楼道|天台|楼顶|大堂|车棚|电梯间|后门|花园|广场|菜市场|公交站|路口"
)
# A road's name (人民路, 花园街), not 路灯 or 路面, and not "门口的路".
_ROAD = re.compile(
    r"[^\W\d_的了在是这那个有我你他她和跟与就都也门口]{2,3}(?:路|街|巷|大道)(?![灯面口边上段旁牌况线])"
)
_NOISE = re.compile(r"[\W\d_]+")
# Words every report carries whatever its problem: leaving them out sharpens the comparison.
_FILLER = re.compile(
    r"(?:请问|麻烦|赶紧|尽快|快点|一下|大家|我们|我家|你们|网格员|物业|社区|了|的|啊|呀|吧|呢|又|都|还|也|就|很|太|真)"
)
# What a report is about, as residents name it (with common voice-input slips): two reports
# of one problem name the same things. Kept short and general; a word may name one thing only.
_OBJECTS = {
    "电梯": "电梯|升降机|电题|轿厢",
    "路灯": "路灯|路登|灯杆|盏灯|排灯",
    "楼道灯": "楼道灯|楼到灯|感应灯|声控灯|楼道.{0,6}灯",
    "红绿灯": "红绿灯|信号灯",
    "井盖": "井盖|篦子|窨井|污水井|雨水井|下水井",
    "漏水": "漏水|渗水|滴水|漏到|渗到|漏下|水管|爆管",
    "停水": "停水|没水|没得水|水停",
    "停电": "停电|没电|断电|跳闸",
    "燃气": "燃气|煤气|天然气",
    "垃圾": "垃圾",
    "下水道": "下水道|化粪池|排水沟|污水|反水|地漏",
    "消防": "消防栓|消防箱|灭火器|消防通道",
    "门禁": "门禁|刷卡|刷脸|人脸识别|道闸|拦车杆|闸机|伸缩门",
    "快递": "快递",
    "外墙": "外墙|瓷砖|墙砖|墙皮",
    "天台": "天台|楼顶|屋顶",
    "电瓶车": "电瓶车|电动车|电平车|电驴|充电桩|飞线|电瓶",
    "噪音": "吵|噪音|嘈|扰民|打桩|唱K|唱歌",
    "油烟": "油烟|烧烤|烟囱|排烟",
    "违建": "违建|搭建|加盖|扩建|铁皮棚|阳光房|搭了",
    "占道": "占道|摆摊|摊贩|小摊|人行道.{0,4}摆|摆.{0,4}人行道",
    "停车": "停车|乱停|车位",
    "狗": "狗|犬",
    "猫": "猫",
    "树": "树",
    "斑马线": "斑马线|人行横道",
    "公交": "公交|站牌",
    "监控": "监控|摄像头",
    "积水": "积水|淹|水漫",
    "路面": "路面|地砖|坑洼|大坑",
    "扶手": "扶手",
    "门锁": "门锁|锁坏|锁烂",
    "玻璃": "玻璃",
    "空调": "空调",
    "失窃": "偷|被盗|撬|被拿走",
    "低保": "低保|补助|补贴|医保|社保|养老金|老年证|老年卡",
    "健身器材": "健身器材|器材",
    "装修": "装修|砸墙|电钻",
    "工地": "工地|施工",
}
_OBJECT_PATTERNS = {name: re.compile(words) for name, words in _OBJECTS.items()}
# What is wrong with it: two reports of one problem say the same kind of wrong.
_FAULTS = {
    "坏": "坏|不亮|不动|不转|停了|失灵|故障|不工作|用不了|打不开|刷不开|关不上|卡住|不来|"
    "黑了|全黑|不制冷|不热|异响|响声",
    "漏": "漏|渗|滴|冒水|反水|爆",
    "吵": "吵|噪|嘈|扰民|声音大|睡不着|唱",
    "脏": "臭|脏|垃圾|苍蝇|蚊子|发霉|味道|味儿|粪|尿",
    "堵": "堵|满了|溢|挡|占",
    "险": "掉|脱落|松|倒|塌|断|砸|裂|碎|危险|摔",
    "丢": "偷|丢|不见|没了|冇咗|被拿|撬|砸车",
    "停放": "乱停|停满|停在|乱放|堆",
    "旧": "旧|过期|改了|该换|翻新|刷漆",
    "问": "怎么|咋|哪里|在哪|什么时候|几时|能不能|可不可以|要不要|是否|请问|想问|吗|？|\\?",
}
_FAULT_PATTERNS = {name: re.compile(words) for name, words in _FAULTS.items()}
NEARLY_SAME = 90.0
NO_PLACE = 50.0
BLOCK_LIMIT = 40  # above this many tickets of one (grid, category, place), narrow by bigrams
RAREST = 6


@dataclass(frozen=True, slots=True)
class Place:
    """Where a report says the problem is: building, unit, gates and roads named."""

    building: str | None
    unit: str | None
    spots: frozenset[str]

    def key(self) -> tuple[str | None, frozenset[str]]:
        """The part that must be equal for two reports to be about one thing."""
        return self.building, self.spots

    def agrees(self, other: Place) -> bool:
        """Same building and spots; units equal where both name one."""
        if self.key() != other.key():
            return False
        return self.unit is None or other.unit is None or self.unit == other.unit


@dataclass(frozen=True, slots=True)
class Report:
    """A text reduced to what matching needs."""

    place: Place
    words: str  # the text without place words, filler and punctuation
    objects: frozenset[str] = frozenset()  # what it is about (电梯, 路灯, 漏水 …)
    faults: frozenset[str] = frozenset()  # what is wrong (坏, 漏, 吵 …)
    areas: frozenset[str] = frozenset()  # parts of the compound named (车库, 天台 …)
    rooms: frozenset[str] = frozenset()  # flat numbers named (402, 1202)

    def same_place(self, other: Report) -> bool:
        """Same place, and not two different flats."""
        if not self.place.agrees(other.place):
            return False
        if self.areas and other.areas and not self.areas & other.areas:
            return False
        return not (self.rooms and other.rooms and not self.rooms & other.rooms)

    def same_things(self, other: Report) -> bool:
        """Mostly the same things named (电梯, 漏水 …), and something named at all; and, where
        both say what is wrong, something of the same kind wrong."""
        if not self.objects or not other.objects:
            return False
        shared = len(self.objects & other.objects)
        if shared * 2 < len(self.objects | other.objects):
            return False
        return not (self.faults and other.faults and not self.faults & other.faults)

    @property
    def bigrams(self) -> set[str]:
        """The character bigrams of the words."""
        return {self.words[i : i + 2] for i in range(len(self.words) - 1)}


def report(text: str) -> Report:
    """Normalise a message and take its place apart from its words."""
    body = normalise(text).body
    buildings = _BUILDING.findall(body)
    units = _UNIT.findall(body)
    spots = frozenset(_GATE.findall(body) + _ROAD.findall(body))
    place = Place(
        building=buildings[0]
        if len(set(buildings)) == 1
        else ("+".join(sorted(set(buildings))) or None),
        unit=units[0] if len(set(units)) == 1 else None,
        spots=spots,
    )
    rooms = frozenset(_ROOMS.findall(body))
    stripped = _ROOM.sub("", _UNIT.sub("", _BUILDING.sub("", body)))
    for spot in spots:
        stripped = stripped.replace(spot, "")
    words = _NOISE.sub("", _FILLER.sub("", stripped))
    objects = frozenset(name for name, pattern in _OBJECT_PATTERNS.items() if pattern.search(body))
    faults = frozenset(name for name, pattern in _FAULT_PATTERNS.items() if pattern.search(body))
    areas = frozenset(_AREA.findall(body))
    return Report(place, words, objects, faults, areas, rooms)


def similarity(a: Report, b: Report) -> float:
    """0–100: how alike two reports' words are, character by character (rapidfuzz's
    normalised Indel similarity over the words left when places and filler are gone)."""
    if not a.words or not b.words:
        return 0.0
    return float(fuzz.ratio(a.words, b.words))


@dataclass
class _Entry:
    ticket_id: int
    created_at: datetime
    report: Report


@dataclass
class _Block:
    """The open tickets of one (grid, category, building/spots), with a bigram index."""

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


class DuplicateIndex:
    """The open tickets of every grid, ready to be matched against a new appeal."""

    def __init__(self, threshold: float = 20.0, window: timedelta = timedelta(days=7)) -> None:
        self.threshold = threshold
        self.window = window
        self._blocks: dict[tuple[str, str, tuple[str | None, frozenset[str]]], _Block] = {}
        self._where: dict[int, tuple[str, str, tuple[str | None, frozenset[str]]]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._where)

    def add(
        self, ticket_id: int, grid_id: str, category: str, text: str, created_at: datetime
    ) -> None:
        """Index an open ticket (again: its old entry is replaced)."""
        parsed = report(text)
        block_key = (grid_id, category, parsed.place.key())
        with self._lock:
            self._drop(ticket_id)
            self._blocks.setdefault(block_key, _Block()).add(_Entry(ticket_id, created_at, parsed))
            self._where[ticket_id] = block_key

    def remove(self, ticket_id: int) -> None:
        """Forget a ticket (closed, merged, reclassified)."""
        with self._lock:
            self._drop(ticket_id)

    def _drop(self, ticket_id: int) -> None:
        block_key = self._where.pop(ticket_id, None)
        if block_key is not None:
            self._blocks[block_key].remove(ticket_id)

    def quote(self, text: str) -> str:
        """The text a message quotes, normalised."""
        return normalise(text).quote

    def match(
        self, grid_id: str, category: str, text: str, now: datetime
    ) -> list[tuple[int, float]]:
        """The indexed tickets this text repeats, best first, as (ticket id, score)."""
        query = report(text)
        block = self._blocks.get((grid_id, category, query.place.key()))
        if block is None:
            return []
        since = now - self.window
        with self._lock:
            candidates = list(block.candidates(query))
        found = []
        for entry in candidates:
            if entry.created_at < since or not entry.report.same_place(query):
                continue
            score = similarity(query, entry.report)
            # Nearly the same words need nothing more; otherwise the things named must agree,
            # and with no place named at all the words must be more alike still.
            needed = self.threshold if query.place.key() != (None, frozenset()) else NO_PLACE
            if score >= NEARLY_SAME or (
                score >= max(needed, self.threshold) and entry.report.same_things(query)
            ):
                found.append((entry.ticket_id, score))
        return sorted(found, key=lambda pair: -pair[1])
