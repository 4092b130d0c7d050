"""Masking of phone and ID numbers in everything the bot posts to a group."""

from __future__ import annotations

import re

# Residents' input methods often produce full-width digits; mask those too.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_SEP = r"[ \-－]?"
_MOBILE = re.compile(rf"(?<!\d)(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)")
_ID_CARD = re.compile(
    r"(?<![\dXx])\d{17}[\dXx](?![\dXx])"  # 18-digit ID number
    r"|(?<!\d)\d{15}(?!\d)"  # the old 15-digit form
)
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})([\-－ ])(\d{3,4})(\d{4})(?!\d)")


def _mask_id(match: re.Match[str]) -> str:
    number = match.group(0)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_pii(text: str) -> str:
    """Hide the middle of phone numbers and ID numbers: 13812345678 → 138****5678."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = _ID_CARD.sub(_mask_id, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(
        lambda m: m.group(1) + m.group(2) + "*" * len(m.group(3)) + m.group(4), text
    )
