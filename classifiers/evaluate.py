"""Measuring a classifier: per-label scores, confusion matrices, urgency, cross-validation."""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.domain import CATEGORIES, Triage, Verdict
from bot.ports import Classifier
from classifiers.training import SEED, Example

TRIAGES = tuple(t.value for t in Triage)


@dataclass(frozen=True, slots=True)
class LabelScores:
    """Precision, recall and F1 of one label."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """What `gridbot eval` prints."""

    total: int
    triage: tuple[LabelScores, ...]
    triage_confusion: dict[tuple[str, str], int]
    category: tuple[LabelScores, ...]
    category_confusion: dict[tuple[str, str], int]
    triage_accuracy: float
    category_accuracy: float
    chatter_ticketed: float
    appeals_missed: float
    urgent_recall: float
    urgent_precision: float
    urgent_counts: tuple[int, int, int]  # true positives, missed, false alarms
    seconds: float

    @property
    def triage_macro_f1(self) -> float:
        """Macro-averaged F1 over the four triage labels."""
        return _macro(self.triage)

    @property
    def category_macro_f1(self) -> float:
        """Macro-averaged F1 over the categories present in gold or predictions."""
        return _macro(self.category)


def _macro(scores: Sequence[LabelScores]) -> float:
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _scores(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> tuple[tuple[LabelScores, ...], dict[tuple[str, str], int]]:
    confusion: dict[tuple[str, str], int] = {}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g, p] = confusion.get((g, p), 0) + 1
    present = [label for label in labels if label in gold or label in predicted]
    scores = []
    for label in present:
        hits = confusion.get((label, label), 0)
        precision = _ratio(hits, sum(1 for p in predicted if p == label))
        recall = _ratio(hits, sum(1 for g in gold if g == label))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(LabelScores(label, precision, recall, f1, sum(1 for g in gold if g == label)))
    return tuple(scores), confusion


def report(examples: Sequence[Example], verdicts: Sequence[Verdict], seconds: float) -> Report:
    """Score `verdicts` against the gold labels of `examples`."""
    gold_t = [e.triage for e in examples]
    pred_t = [v.triage.value for v in verdicts]
    gold_c = [e.category for e in examples]
    pred_c = [v.category for v in verdicts]
    triage, triage_confusion = _scores(gold_t, pred_t, TRIAGES)
    category, category_confusion = _scores(gold_c, pred_c, CATEGORIES)
    chatter = [p for g, p in zip(gold_t, pred_t, strict=True) if g == Triage.NONE.value]
    appeals = [p for g, p in zip(gold_t, pred_t, strict=True) if g != Triage.NONE.value]
    hits = sum(1 for e, v in zip(examples, verdicts, strict=True) if e.urgent and v.urgent)
    missed = sum(1 for e, v in zip(examples, verdicts, strict=True) if e.urgent and not v.urgent)
    alarms = sum(1 for e, v in zip(examples, verdicts, strict=True) if v.urgent and not e.urgent)
    return Report(
        total=len(examples),
        triage=triage,
        triage_confusion=triage_confusion,
        category=category,
        category_confusion=category_confusion,
        triage_accuracy=_ratio(
            sum(g == p for g, p in zip(gold_t, pred_t, strict=True)), len(gold_t)
        ),
        category_accuracy=_ratio(
            sum(g == p for g, p in zip(gold_c, pred_c, strict=True)), len(gold_c)
        ),
        chatter_ticketed=_ratio(sum(p != Triage.NONE.value for p in chatter), len(chatter)),
        appeals_missed=_ratio(sum(p == Triage.NONE.value for p in appeals), len(appeals)),
        urgent_recall=_ratio(hits, hits + missed),
        urgent_precision=_ratio(hits, hits + alarms),
        urgent_counts=(hits, missed, alarms),
        seconds=seconds,
    )


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Report:
    """Classify every example once and score the verdicts; the time is classification alone."""
    start = time.perf_counter()
    verdicts = [classifier.classify(e.text) for e in examples]
    return report(examples, verdicts, time.perf_counter() - start)


def folds(examples: Sequence[Example], k: int) -> list[list[int]]:
    """`k` folds of example indices, stratified by triage, shuffled with a fixed seed."""
    by_label: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_label.setdefault(example.triage, []).append(index)
    result: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(SEED)
    position = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for index in indices:
            result[position % k].append(index)
            position += 1
    return result


def cross_validate(
    examples: Sequence[Example],
    k: int,
    background: Sequence[Example],
    train: Callable[[Sequence[Example], Path], Classifier],
) -> Report:
    """K-fold cross-validation: each fold is classified by a model trained on the other folds
    plus `background` (extra training data that is never tested on)."""
    verdicts: list[Verdict | None] = [None] * len(examples)
    seconds = 0.0
    for held_out in folds(examples, k):
        held = set(held_out)
        training = [e for i, e in enumerate(examples) if i not in held] + list(background)
        with tempfile.TemporaryDirectory(prefix="gridbot-cv-") as folder:
            classifier = train(training, Path(folder))
            start = time.perf_counter()
            for index in held_out:
                verdicts[index] = classifier.classify(examples[index].text)
            seconds += time.perf_counter() - start
    return report(examples, [v for v in verdicts if v is not None], seconds)


def render(result: Report, *, title: str) -> str:
    """The report as text for a terminal."""
    lines = [f"{title}: {result.total} messages", ""]
    lines += _table("triage", result.triage, result.triage_accuracy, result.triage_macro_f1)
    lines += _confusion(result.triage_confusion, [s.label for s in result.triage])
    lines.append(
        f"chatter wrongly ticketed: {result.chatter_ticketed:.1%} of chatter; "
        f"appeals missed: {result.appeals_missed:.1%} of appeals"
    )
    lines.append("")
    lines += _table("category", result.category, result.category_accuracy, result.category_macro_f1)
    lines += _confusion(result.category_confusion, [s.label for s in result.category])
    hits, missed, alarms = result.urgent_counts
    lines.append(
        f"urgent: recall {result.urgent_recall:.3f}, precision {result.urgent_precision:.3f} "
        f"({hits} caught, {missed} missed, {alarms} false alarms)"
    )
    rate = result.total / result.seconds if result.seconds else 0.0
    lines.append(
        f"throughput: {rate:,.0f} messages/s "
        f"({result.seconds / max(result.total, 1) * 1e6:.0f} µs a message, classification only)"
    )
    return "\n".join(lines)


def _table(name: str, scores: Sequence[LabelScores], accuracy: float, macro: float) -> list[str]:
    lines = [f"{name}: accuracy {accuracy:.3f}, macro-F1 {macro:.3f}"]
    lines.append(f"  {'label':<10}{'precision':>10}{'recall':>8}{'F1':>8}{'n':>6}")
    for s in scores:
        label = (
            s.label + " " * (10 - 2 * len(s.label)) if not s.label.isascii() else f"{s.label:<10}"
        )
        lines.append(f"  {label}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.support:>6}")
    return lines


def _confusion(confusion: dict[tuple[str, str], int], labels: Sequence[str]) -> list[str]:
    short = [label[:4] for label in labels]
    width = max(8, *(2 * len(s) + 1 for s in short))
    lines = ["  confusion (rows: gold, columns: predicted)"]
    header = " " * 12 + "".join(_pad(s, width) for s in short)
    lines.append(header.rstrip())
    for gold, name in zip(labels, short, strict=True):
        row = "".join(_pad(str(confusion.get((gold, p), 0)), width) for p in labels)
        lines.append(f"  {_pad(name, 10)}{row}".rstrip())
    return [*lines, ""]


def _pad(text: str, columns: int) -> str:
    used = sum(2 if not c.isascii() else 1 for c in text)
    return " " * max(0, columns - used) + text
