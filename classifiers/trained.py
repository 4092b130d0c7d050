"""The trained classifier: normalisation, jieba features, three linear heads and domain rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from bot.domain import DEFAULT_CATEGORY, Triage, Verdict
from classifiers.features import Extracted, Featurizer
from classifiers.linear import JointModel
from classifiers.training import MODEL_DIR

# The urgency model needs less evidence when a danger rule fired, more when none did, and
# more again when the text says the danger is not now (a drill, a notice, last week).
URGENT_WITH_RULE = 0.1
URGENT_RULE_NOT_NOW = 0.7
URGENT_WITHOUT_RULE = 0.85

_CUE_WORDS = {
    "cue:own": "自家的事",
    "cue:neighbour": "涉及邻居",
    "cue:shared": "公共部位",
    "cue:public": "市政道路设施",
    "cue:question": "在询问",
    "cue:thanks": "致谢寒暄",
    "cue:greeting": "问候节庆",
    "cue:praise": "感谢点赞",
    "cue:resolved": "已经解决",
    "cue:advice": "在回答别人",
    "cue:notice": "通知",
    "cue:invite": "约人同行",
    "cue:advert": "广告",
    "cue:forward": "转发内容",
    "ctx:emoji-only": "只有表情",
    "ctx:quote": "引用回复",
}


def _reason(feature: str, words: Mapping[str, int]) -> str | None:
    """How a feature reads to a gridworker, or None if it is not worth showing: a cue's name,
    a jieba word, or a character n-gram that is a dictionary word (not 电梯又, not 0栋)."""
    if feature in _CUE_WORDS:
        return _CUE_WORDS[feature]
    if feature.startswith("w:"):
        return feature[2:]
    if ":" not in feature and len(feature) > 1 and "0" not in feature and words.get(feature):
        return feature
    return None


class TrainedClassifier:
    """Decides triage, category and urgency, with the words and rules that drove the decision."""

    def __init__(
        self,
        model_dir: Path = MODEL_DIR,
        featurizer: Featurizer | None = None,
    ) -> None:
        self._model = JointModel.load(model_dir)
        self._featurizer = featurizer or Featurizer()
        words = self._featurizer.segmenter.FREQ
        self._reasons_of = [_reason(f, words) for f in self._model.features]
        heads = self._model.heads
        self._heads = heads["triage"], heads["category"], heads["urgent"]
        self._triages = tuple(Triage(c) for c in heads["triage"].classes)
        # Per triage class, each feature's weight for it if the feature can be shown as a reason
        # and pushes towards the class, else 0: reasons then cost a few list reads.
        triage = heads["triage"]
        shown = np.array([r is not None for r in self._reasons_of])[:, None]
        columns = self._model.weights[:, triage.start : triage.stop]
        self._reason_weights = np.ascontiguousarray(
            np.where(shown & (columns > 0), columns, 0.0).T, dtype=np.float32
        )

    def classify(self, text: str) -> Verdict:
        """Classify one chat message."""
        extracted = self._featurizer.extract(text)
        if not extracted.normalised.body or extracted.features == ("ctx:emoji-only",):
            return Verdict(Triage.NONE, DEFAULT_CATEGORY, False, 0.99, ("没有文字内容",))
        return self._decide(extracted)

    def _decide(self, extracted: Extracted) -> Verdict:
        rows = self._model.rows(extracted.features)
        scores = self._model.scores(rows)
        triage_head, category_head, urgent_head = self._heads
        probabilities = triage_head.probabilities(scores)
        best = probabilities.index(max(probabilities))
        urgent = self._urgent(extracted, urgent_head.probabilities(scores)[1])
        if urgent and self._triages[best] is Triage.NONE:
            # Danger right now always opens a ticket: take the likeliest appeal triage.
            best = max(
                (i for i, t in enumerate(self._triages) if t.is_appeal),
                key=probabilities.__getitem__,
            )
        triage = self._triages[best]
        reasons = self._reasons(rows, best)
        if urgent:
            reasons = (f"紧急：{'、'.join(extracted.cues.urgent) or '危险情况'}", *reasons)
        category = category_head.best(scores) if triage.is_appeal else DEFAULT_CATEGORY
        return Verdict(triage, category, urgent, probabilities[best], reasons[:4])

    @staticmethod
    def _urgent(extracted: Extracted, probability: float) -> bool:
        if extracted.cues.urgent and not extracted.cues.not_now:
            return probability >= URGENT_WITH_RULE
        if extracted.cues.urgent:
            return probability >= URGENT_RULE_NOT_NOW
        return probability >= URGENT_WITHOUT_RULE

    def _reasons(self, rows: list[int], triage: int) -> tuple[str, ...]:
        """The strongest words and cues behind the triage, as a gridworker would read them."""
        if not rows:
            return ()
        weights = self._reason_weights[triage].take(rows)
        strongest = np.argsort(-weights, kind="stable")[: int(np.count_nonzero(weights))]
        reasons: list[str] = []
        for position in strongest.tolist():
            reason = self._reasons_of[rows[position]]
            if reason and not any(reason in r or r in reason for r in reasons):
                reasons.append(reason)
                if len(reasons) == 3:
                    break
        return tuple(reasons)
