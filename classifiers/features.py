"""Features of a message for the linear model: jieba words, character n-grams and rule cues."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jieba

from classifiers.normalize import Normalised, normalise
from classifiers.rules import Cues, cues, load_lexicons

_LOGGER = logging.getLogger(__name__)
USER_DICT = Path(__file__).parent / "data" / "userdict.txt"

_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Extracted:
    """One message as the model sees it."""

    normalised: Normalised
    cues: Cues
    features: tuple[str, ...]


_LOADED: set[Path] = set()
_LOAD_LOCK = threading.Lock()


def _segmenter(user_dict: Path, lexicon_words: Iterable[str]) -> jieba.Tokenizer:
    """jieba's default tokenizer with the domain words added, once per process.

    Adding a word again is not harmless in jieba (its frequency total grows each time and the
    segmentation drifts), so each dictionary is loaded exactly once.
    """
    if user_dict not in _LOADED:
        with _LOAD_LOCK:
            if user_dict not in _LOADED:
                jieba.setLogLevel(logging.WARNING)
                jieba.dt.load_userdict(str(user_dict))
                # Longer lexicon words come out of jieba whole, where the lexicon finds them.
                for word in lexicon_words:
                    if len(word) > 3 and word not in jieba.dt.FREQ:
                        jieba.dt.add_word(word, freq=2000)
                _LOADED.add(user_dict)
    return jieba.dt


class Featurizer:
    """Turns text into model features; the jieba dictionary loads once per process, on first use."""

    def __init__(self, user_dict: Path = USER_DICT) -> None:
        self._user_dict = user_dict
        self._lexicon = load_lexicons()

    def words(self, text: str) -> list[str]:
        """jieba words of an already normalised text, in full mode: every dictionary word in
        it, overlapping ones too (more evidence for the model than one segmentation, and
        faster, since no route has to be chosen)."""
        segmenter = _segmenter(self._user_dict, self._lexicon)
        return [w for w in segmenter.lcut(text, cut_all=True) if w and w[0].isalnum()]

    def extract(self, text: str) -> Extracted:
        """Normalise `text` and list its features."""
        normalised = normalise(text)
        body = _DIGITS.sub("0", normalised.body)
        rule_cues = cues(normalised.body)
        features = [f"w:{word}" for word in self.words(body)]
        chars = _PUNCT.sub("", body)
        features += [f"c:{chars[i : i + 2]}" for i in range(len(chars) - 1)]
        features += [f"c:{chars[i : i + 3]}" for i in range(len(chars) - 2)]
        if len(chars) == 1:
            features.append(f"c:{chars}")
        features += rule_cues.features
        if normalised.quote:
            features.append("ctx:quote")
        if normalised.mentions:
            features.append("ctx:mention")
        if normalised.emoji and not chars:
            features.append("ctx:emoji-only")
        return Extracted(normalised, rule_cues, tuple(features))
