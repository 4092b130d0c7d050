"""The trained classifier: normalisation, jieba features, three linear heads and domain rules."""

from __future__ import annotations

import re
from pathlib import Path

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
    "cue:notice": "通知",
    "cue:advert": "广告",
    "cue:forward": "转发内容",
    "ctx:emoji-only": "只有表情",
    "ctx:quote": "引用回复",
}
_DIGIT_FEATURE = re.compile(r"0")


def _reason(feature: str) -> str | None:
    if feature in _CUE_WORDS:
        return _CUE_WORDS[feature]
    value = feature.removeprefix("w:")
    if ":" not in value and len(value) >= 2 and not _DIGIT_FEATURE.search(value):
        return value
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

    def classify(self, text: str) -> Verdict:
        """Classify one chat message."""
        extracted = self._featurizer.extract(text)
        if not extracted.normalised.body or extracted.features == ("ctx:emoji-only",):
            return Verdict(Triage.NONE, DEFAULT_CATEGORY, False, 0.99, ("没有文字内容",))
        return self._decide(extracted)

    def _decide(self, extracted: Extracted) -> Verdict:
        model = self._model
        rows = model.rows(extracted.features)
        scores = model.scores(rows)
        triage_head = model.heads["triage"]
        probabilities = triage_head.probabilities(scores)
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        urgent = self._urgent(extracted, model.heads["urgent"].probabilities(scores)[1])
        if urgent and triage_head.classes[best] == Triage.NONE.value:
            # Danger right now always opens a ticket: take the likeliest appeal triage.
            appeals = [i for i, c in enumerate(triage_head.classes) if c != Triage.NONE.value]
            best = max(appeals, key=probabilities.__getitem__)
        triage = Triage(triage_head.classes[best])
        reasons = self._reasons(model.contributions(rows, triage_head.start + best))
        if urgent:
            reasons = (f"紧急：{'、'.join(extracted.cues.urgent) or '危险情况'}", *reasons)
        category = DEFAULT_CATEGORY
        if triage.is_appeal:
            category_head = model.heads["category"]
            category_p = category_head.probabilities(scores)
            category = category_head.classes[
                max(range(len(category_p)), key=category_p.__getitem__)
            ]
        return Verdict(triage, category, urgent, probabilities[best], reasons[:4])

    @staticmethod
    def _urgent(extracted: Extracted, probability: float) -> bool:
        if extracted.cues.urgent and not extracted.cues.not_now:
            return probability >= URGENT_WITH_RULE
        if extracted.cues.urgent:
            return probability >= URGENT_RULE_NOT_NOW
        return probability >= URGENT_WITHOUT_RULE

    def _reasons(self, contributions: list[tuple[float, int]]) -> tuple[str, ...]:
        """The strongest words and cues behind the triage, as a gridworker would read them."""
        names = self._model.features
        reasons: list[str] = []
        for weight, row in contributions:
            if weight <= 0 or len(reasons) == 3:
                break
            reason = _reason(names[row])
            if reason and not any(reason in r or r in reason for r in reasons):
                reasons.append(reason)
        return tuple(reasons)
