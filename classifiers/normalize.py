"""Normalisation of chat text before classification and duplicate matching.

Traditional characters become simplified (OpenCC), full-width forms half-width, building and
unit numbers take one form (`3栋2单元402`), emoji and repeated punctuation are folded, and
@mentions and quoted text are separated from the message body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = "零〇一二两三四五六七八九十"

# WeChat puts a four-per-em space (U+2005) after each @name; other clients a plain space.
_MENTION = re.compile(r"@([^\s@\u2005]{1,24})[\u2005 ]?")
# WeChat quotes: 「name：quoted」 then a dashed rule, then the reply.
_WECHAT_QUOTE = re.compile(
    r"「(?:[^「」]{0,40}?[:：])?(?P<quote>[^「」]*)」\s*(?:[-－—]\s*){3,}", re.S
)
_LINE_QUOTE = re.compile(r"^\s*>.*$", re.M)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\u2b00-\u2bff"
    "\ufe0f\u200d\u20e3]+"
)
_WECHAT_EMOTICON = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")  # [微笑] [捂脸] …
_REPEATED = re.compile(r"([!?。，,.~～…、])\1+")
_SPACES = re.compile(r"[ \t\u3000\u2005]+")

# Building, unit and room numbers in the many ways residents write them.
_NUM = rf"(?:\d{{1,3}}|[{_CN_NUMBER}]{{1,3}})"
_DASHED = re.compile(r"(?<![\dA-Za-z.\-])(\d{1,2})-(\d{1,2})-(\d{3,4})(?![\d\-])")
# … not a parking bay below ground (B2-156)
_BUILDING_ROOM = re.compile(r"(?<![\dA-Za-z.\-:])(\d{1,2})-(\d{3,4})(?![\d\-:])")
# "3#" is building 3 when a unit or nothing numeric follows ("3#2单元"), not in "3#402".
_BUILDING = re.compile(
    rf"({_NUM})\s*(?:号(?=楼[道梯])|号楼|号栋|栋楼(?![道梯顶下上层里])|栋|幢|#楼(?![道梯])|#(?=\d{{1,2}}单元|[^\d]|$))"
)
# "3楼" is mostly the third floor, not building 3: only the numeral is unified.
_FLOOR = re.compile(rf"(?<![\d{_CN_NUMBER}])([{_CN_NUMBER}]{{1,3}})\s*(?=楼|层)")
_UNIT = re.compile(rf"({_NUM})\s*(?:单元|号单元)")
_ROOM = re.compile(r"(\d{3,4})\s*(?:室|号房|房)")
_PLACE_HINT = re.compile(rf"[\d{_CN_NUMBER}][^\d]{{0,3}}[栋楼幢单元#室号层房-]")


# Cantonese and other dialect function words mapped to Mandarin, longest first, so that one
# model reads them all. Only unambiguous forms are listed.
_DIALECT = {
    "乜嘢": "什么",
    "咩嘢": "什么",
    "邊度": "哪里",
    "边度": "哪里",
    "點算": "怎么办",
    "点算": "怎么办",
    "點解": "为什么",
    "点解": "为什么",
    "屋企": "家里",
    "升降機": "电梯",
    "升降机": "电梯",
    "唔該": "麻烦",
    "唔该": "麻烦",
    "唔識": "不会",
    "唔识": "不会",
    "而家": "现在",
    "今日": "今天",
    "琴日": "昨天",
    "尋日": "昨天",
    "寻日": "昨天",
    "成日": "经常",
    "俾": "给",
    "畀": "给",
    "冇": "没有",
    "唔": "不",
    "喺": "在",
    "嘅": "的",
    "咗": "了",
    "哋": "们",
    "佢": "他",
    "睇": "看",
    "嚟": "来",
    "係": "是",
    "搵": "找",
    "咁": "这么",
    "啲": "些",
    "嗰": "那",
    "呢度": "这里",
    "入面": "里面",
    "嘢": "东西",
    "冚": "全",
    "攞": "拿",
    "瞓": "睡",
}
# Single characters go through str.translate (one C pass); the few words need a regex.
_DIALECT_CHARS = str.maketrans({k: v for k, v in _DIALECT.items() if len(k) == 1})
_DIALECT_WORDS = re.compile(
    "|".join(sorted((re.escape(k) for k in _DIALECT if len(k) > 1), key=len, reverse=True))
)
_DIALECT_FIRST = frozenset(k[0] for k in _DIALECT if len(k) > 1)
_DIALECT_ANY = frozenset(k[0] for k in _DIALECT)


@dataclass(frozen=True, slots=True)
class Normalised:
    """A message taken apart: its normalised body, the @-mentioned names and any quoted text."""

    body: str
    mentions: tuple[str, ...]
    quote: str
    emoji: int


def chinese_number(text: str) -> int | None:
    """`三` → 3, `十二` → 12, `二十一` → 21, `12` → 12; None for anything else."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_NUMBER for c in text):
        return None
    if "十" not in text:
        value = 0
        for char in text:
            value = value * 10 + _CN_DIGITS[char]
        return value
    tens, _, ones = text.partition("十")
    high = _CN_DIGITS.get(tens, 1) if tens else 1
    low = _CN_DIGITS.get(ones, 0) if ones else 0
    return high * 10 + low


def _number(match: re.Match[str], group: int = 1) -> str:
    value = chinese_number(match.group(group))
    return str(value) if value is not None else match.group(group)


def _floor(match: re.Match[str]) -> str:
    """五楼 → 5楼; 五六楼 is the fifth and sixth floors, not the 56th (五十六楼)."""
    digits = match[1]
    if len(digits) == 2 and "十" not in digits:
        low, high = chinese_number(digits[0]), chinese_number(digits[1])
        if low is not None and high == low + 1:
            return f"{low}{match.string[match.end()]}{high}"
    return _number(match)


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplify(text: str) -> str:
    """Traditional → simplified characters, full-width → half-width forms, and Cantonese
    function words → Mandarin."""
    if not _DIALECT_ANY.isdisjoint(text):
        if not _DIALECT_FIRST.isdisjoint(text):
            text = _DIALECT_WORDS.sub(lambda m: _DIALECT[m[0]], text)
        text = text.translate(_DIALECT_CHARS)
    text = _converter().convert(text)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def unify_places(text: str) -> str:
    """Write building, unit, floor and room numbers one way.

    三号楼 → 3栋, 三单元 → 3单元, 五楼 → 5楼, 3-2-402 → 3栋2单元402室, 3-402 → 3栋402室.
    """
    text = _DASHED.sub(lambda m: f"{m[1]}栋{m[2]}单元{m[3]}室", text)
    text = _BUILDING_ROOM.sub(lambda m: f"{m[1]}栋{m[2]}室", text)
    text = _BUILDING.sub(lambda m: f"{_number(m)}栋", text)
    text = _FLOOR.sub(_floor, text)
    text = _UNIT.sub(lambda m: f"{_number(m)}单元", text)
    return _ROOM.sub(r"\1室", text)


def normalise(text: str) -> Normalised:
    """Take a raw chat message apart and normalise its body for classification."""
    text = simplify(text)
    quotes: list[str] = []
    # Cheap membership tests keep the rarer patterns off the common path.
    if "「" in text:
        quotes += [m["quote"] for m in _WECHAT_QUOTE.finditer(text)]
        text = _WECHAT_QUOTE.sub(" ", text)
    if ">" in text:
        quotes += [line.lstrip(" >") for line in _LINE_QUOTE.findall(text)]
        text = _LINE_QUOTE.sub(" ", text)
    mentions: tuple[str, ...] = ()
    if "@" in text:
        mentions = tuple(_MENTION.findall(text))
        text = _MENTION.sub(" ", text)
    emoji = 0
    if not text.isascii():
        text, emoji = _EMOJI.subn(" ", text)
    if "[" in text:
        text, emoticons = _WECHAT_EMOTICON.subn(" ", text)
        emoji += emoticons
    text = _REPEATED.sub(r"\1", text)
    if _PLACE_HINT.search(text):
        text = unify_places(text)
    body = _SPACES.sub(" ", text).strip()
    return Normalised(body=body, mentions=mentions, quote=" ".join(quotes).strip(), emoji=emoji)
