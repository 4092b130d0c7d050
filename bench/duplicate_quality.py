"""Merge quality on labelled message pairs: precision and recall of joining b to a's ticket.

Run: .venv/bin/python bench/duplicate_quality.py

tests/data/duplicate_pairs.jsonl holds 420 pairs (same problem reworded; the same problem in
another building, unit or road; another problem in the same place; heavy word overlap with
another matter; unrelated; generic complaints without a place). As in the bot, both messages
are classified first and must get the same category. The pairs are split in two with a fixed
seed: the shipped threshold was chosen on the first half, and the figures that count are
those of the second half.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.config import DuplicatesConfig
from classifiers import TrainedClassifier
from classifiers.duplicates import DuplicateIndex

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "duplicate_pairs.jsonl"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def decisions(rows: list[dict[str, object]], threshold: float) -> list[bool]:
    """Whether the bot would merge each pair's b into a's ticket."""
    classifier = TrainedClassifier()
    index = DuplicateIndex(threshold=threshold)
    merged = []
    for number, row in enumerate(rows):
        a, b = str(row["a"]), str(row["b"])
        index.add(number, "grid", classifier.classify(a).category, a, NOW)
        merged.append(bool(index.match("grid", classifier.classify(b).category, b, NOW)))
        index.remove(number)
    return merged


def scores(rows: list[dict[str, object]], merged: list[bool]) -> tuple[float, float, Counter[str]]:
    hits = sum(m and bool(r["duplicate"]) for r, m in zip(rows, merged, strict=True))
    wrong = Counter(
        str(r["kind"]) for r, m in zip(rows, merged, strict=True) if m and not r["duplicate"]
    )
    positives = sum(bool(r["duplicate"]) for r in rows)
    precision = hits / (hits + sum(wrong.values())) if hits + sum(wrong.values()) else 1.0
    return precision, hits / positives, wrong


def main() -> None:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    random.Random(20261201).shuffle(rows)
    tune, test = rows[: len(rows) // 2], rows[len(rows) // 2 :]
    print("first half (where the threshold was chosen):")
    for threshold in range(0, 101, 10):
        precision, recall, _ = scores(tune, decisions(tune, threshold))
        print(f"  threshold {threshold:3d}: precision {precision:.3f}, recall {recall:.3f}")
    chosen = DuplicatesConfig().threshold
    print(f"the shipped threshold (duplicates.threshold): {chosen:.0f}")
    precision, recall, wrong = scores(test, decisions(test, chosen))
    print(
        f"second half ({len(test)} pairs): merge precision {precision:.3f}, recall {recall:.3f} "
        "(targets: precision >= 0.95, recall >= 0.80)"
    )
    print("wrong merges by kind:", dict(wrong) or "none")


if __name__ == "__main__":
    main()
