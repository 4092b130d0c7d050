"""Masking of phone and ID numbers in everything the bot posts to a group."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.messages import Mention, OutboundMessage

# Residents' input methods often produce full-width digits; mask those too.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ＋（）－", "0123456789Xx+()-")
# A run of digits with the separators people put inside phone and ID numbers.
_CANDIDATE = re.compile(
    r"(?<![\dXxＸｘ])[+＋]?(?:[(（]\d{2,4}[)）])?\d[\d\s.\-—－]{5,}[\dXxＸｘ](?![\dXxＸｘ])"
)
_PIECE_END = re.compile(r"[\dXx](?=[\s.\-—]|$)")
_SEPARATORS = re.compile(r"[\s.\-—()+]")
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")
_ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")
_LANDLINE = re.compile(r"(?:0086|86)?(0\d{9,11})")


def _masked_digits(digits: str) -> str | None:
    """The masked form of a separator-free number, or None if it is no phone or ID number."""
    for pattern in (_MOBILE, _ID_NUMBER, _LANDLINE):
        match = pattern.fullmatch(digits)
        if match:
            number = match[match.lastindex or 0]
            return number[:3] + "*" * (len(number) - 7) + number[-4:]
    return None


def _mask_candidate(match: re.Match[str]) -> str:
    text = match.group(0).translate(_FULL_WIDTH)
    # The run may go on past the number ("138 1234 5678 3栋"): try it whole, then shorter.
    ends = [m.end() for m in _PIECE_END.finditer(text)]
    for end in reversed(ends):
        masked = _masked_digits(_SEPARATORS.sub("", text[:end]))
        if masked is not None:
            return masked + text[end:]
    # A longer run may hold a number among other digits: mask any mobile inside it.
    return _MOBILE.sub(lambda m: m[0][: len(m[0]) - 11] + m[1][:3] + "****" + m[1][-4:], text)


def mask_pii(text: str) -> str:
    """Hide the middle of phone numbers and ID numbers: 13812345678 → 138****5678.

    Separators (spaces, dots, dashes, brackets), a +86 prefix and full-width digits do not
    hide a number from the mask.
    """
    return _CANDIDATE.sub(_mask_candidate, text)


def masked(message: OutboundMessage) -> OutboundMessage:
    """A group post with phone and ID numbers hidden, in the text and in @-mentioned names.
    A private message to the person concerned is left as it is."""
    if message.direct:
        return message
    return replace(
        message,
        text=mask_pii(message.text),
        mentions=tuple(Mention(m.user_id, mask_pii(m.name)) for m in message.mentions),
    )
