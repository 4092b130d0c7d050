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
                # Lexicon words come out of jieba whole, so that their fields can be looked up.
                for word in lexicon_words:
                    if len(word) > 1 and not jieba.dt.FREQ.get(word):
                        jieba.dt.add_word(word, freq=2000)
                _LOADED.add(user_dict)
    return jieba.dt


def domain_segmenter() -> jieba.Tokenizer:
    """jieba's tokenizer with the classifier's domain dictionary loaded."""
    return jieba.dt if USER_DICT in _LOADED else _segmenter(USER_DICT, load_lexicons())


class Featurizer:
    """Turns text into model features; the jieba dictionary loads once per process, on first use.

    The features of a message are
    - its character bigrams (digits folded to 0), with no prefix;
    - jieba's words of three characters or more (`w:`), in full mode: every dictionary word in
      the text, overlapping ones too. jieba's two-character words are character bigrams
      already, so they are not counted twice;
    - the fields (`lex:…`) of the lexicon words jieba found, which carry what was learnt about
      a field to words of it never seen in training;
    - the rule cues (`cue:`, `danger:`, `len:`) and the message's context (`ctx:`).
    """

    def __init__(self, user_dict: Path = USER_DICT) -> None:
        self._user_dict = user_dict
        self._lexicon = load_lexicons()

    @property
    def segmenter(self) -> jieba.Tokenizer:
        """jieba's tokenizer with the domain dictionary loaded."""
        return _segmenter(self._user_dict, self._lexicon)

    def words(self, text: str) -> list[str]:
        """jieba's full-mode words of a normalised text: every dictionary word of two characters
        or more in it, overlapping ones too, in order."""
        # jieba's get_DAG walk over its prefix dictionary, without the single characters we
        # never use: every prefix of a word is a key, so a walk stops at the first miss.
        freq = self.segmenter.FREQ
        found: list[str] = []
        end = len(text)
        for start in range(end - 1):
            stop = start + 2
            fragment = text[start:stop]
            while fragment in freq:
                if freq[fragment]:
                    found.append(fragment)
                if stop == end:
                    break
                stop += 1
                fragment = text[start:stop]
        return found

    def extract(self, text: str) -> Extracted:
        """Normalise `text` and list its features."""
        normalised = normalise(text)
        body = _DIGITS.sub("0", normalised.body)
        rule_cues = cues(normalised.body)
        features: list[str] = []
        lexicon = self._lexicon
        for word in self.words(body):
            if len(word) > 2:
                features.append(f"w:{word}")
            fields = lexicon.get(word)
            if fields:
                features += fields
        chars = _PUNCT.sub("", body)
        features += [chars[i : i + 2] for i in range(len(chars) - 1)]
        if len(chars) == 1:
            features.append(chars)
        features += rule_cues.features
        if normalised.quote:
            features.append("ctx:quote")
        if normalised.mentions:
            features.append("ctx:mention")
        if normalised.emoji and not chars:
            features.append("ctx:emoji-only")
        return Extracted(normalised, rule_cues, tuple(features))
