"""Merge quality on labelled message pairs: precision and recall of joining b to a's ticket.

Run: .venv/bin/python bench/duplicate_quality.py

The duplicate model is trained on the packaged pairs (`classifiers/data/pairs/`: 18,020 pairs
by fifty-seven writers, a file each; forty-seven of them were written in later sessions in
batches, each scored as a clean check before it was read and trained on). They are
scored in five folds of writers, each fifth of the writers by a model trained on the other four
fifths (the fair test: real residents are strangers to the model). The figures that count are
those on `tests/data/duplicate_pairs_holdout.jsonl`, 300 pairs another writer made for this
test alone, never trained on or looked at while building the matcher. As in the bot, both
messages are classified first, a is indexed as an open ticket and b matched against it.

Two more held-out writers' pairs (`tests/data/duplicate_pairs_holdout_more/`, 600: a city's old
compounds, a county town's estates), written in the fifth session from the setting and the
kinds of pair alone, likewise never trained on or read, are scored the same way.

Four last writers' pairs (`tests/data/duplicate_pairs_tenth/`, 1,200: a Yichang riverside
community of work-unit blocks, a Tangshan workers' village rebuilt after the earthquake, the
old city of Quanzhou, a Ganzhou resettlement estate), written in the tenth session from the
setting and the kinds of pair alone, are only scored, never read: the clean check of strangers.
(The four writers of the check before it, Shantou, Mianyang, Qiqihar and Xining, were read in
the tenth session and are now training pairs, as are the eight of the two checks before that.)

A last test: `tests/data/duplicate_pairs_hard/`, 1,200 pairs by four more writers, each
about another kind of grid (new towers by a campus, an old factory compound written by voice
input, mountain villages, a factory town's rented rooms), asked for repeats told in words as
different as residents' can be. They are not trained on; some of their wrong merges were read
while the reading of places was improved, so they are no clean held-out set, but they show how
the matcher fares on harder wording than the training pairs'.

The tables score the matcher alone. In the bot, a ticket others may join is opened only for
a message the classifier takes for an appeal and no private matter, and a message it takes for
chatter or a private matter joins one only as a near copy (`duplicates.near_copy`, 95; see
bot/intake.py, bot/duplicates.py).
The line "in the bot" (and the last figures of each later line) scores that on the pairs
no writer of the training pairs wrote, at the shipped threshold: a repeat whose first
message the classifier takes for chatter is a missed merge there, a notice it takes for
chatter no wrong one unless it is a near copy. (Not on the training pairs: the classifier is
trained on many of their texts, `classifiers/data/extra_pairs.jsonl`.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from bot.config import DuplicatesConfig
from bot.domain import Triage
from classifiers import TrainedClassifier
from classifiers.duplicates import DuplicateIndex, PairModel
from classifiers.training import PAIRS_DIR, fit_pairs, load_pairs

TEST_DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
HOLDOUT = TEST_DATA / "duplicate_pairs_holdout.jsonl"
HOLDOUT_MORE = TEST_DATA / "duplicate_pairs_holdout_more"
HARD = TEST_DATA / "duplicate_pairs_hard"
TENTH = TEST_DATA / "duplicate_pairs_tenth"
NOW = datetime(2026, 11, 23, tzinfo=UTC)
THRESHOLDS = range(50, 96, 5)
Row = dict[str, object]


def scores_of(rows: list[Row], model: PairModel, category: Callable[[str], str]) -> list[float]:
    """The best match score (0–100) of each pair's b against a's ticket; 0 when none."""
    index = DuplicateIndex(threshold=0.0, model=model)
    result = []
    for number, row in enumerate(rows):
        a, b = str(row["a"]), str(row["b"])
        index.add(number, "grid", category(a), a, NOW)
        found = index.match("grid", category(b), b, NOW)
        result.append(found[0][1] if found else 0.0)
        index.remove(number)
    return result


def measure(
    rows: list[Row], scores: list[float], threshold: float, compared: list[bool] | None = None
) -> tuple[float, float, Counter[str]]:
    """Merge precision, recall and the wrong merges by kind; `compared` says which pairs the
    bot would compare at all (all of them when None)."""
    merged = [
        s >= threshold and s > 0 and (compared is None or compared[n]) for n, s in enumerate(scores)
    ]
    hits = sum(m and bool(r["duplicate"]) for r, m in zip(rows, merged, strict=True))
    wrong = Counter(
        str(r["kind"]) for r, m in zip(rows, merged, strict=True) if m and not r["duplicate"]
    )
    total = hits + sum(wrong.values())
    positives = sum(bool(r["duplicate"]) for r in rows)
    return (hits / total if total else 1.0), hits / positives, wrong


def scored(
    splits: list[tuple[list[Row], list[Row]]], category: Callable[[str], str]
) -> tuple[list[Row], list[float]]:
    """Each split's held pairs scored by a model trained on its other pairs, all together."""
    rows: list[Row] = []
    scores: list[float] = []
    for held, rest in splits:
        scores += scores_of(held, fit_pairs(rest, category), category)
        rows += held
    return rows, scores


def table(title: str, rows: list[Row], scores: list[float], chosen: float | None = None) -> None:
    """Precision and recall at each threshold, the shipped one marked."""
    print(title)
    for threshold in THRESHOLDS:
        precision, recall, _ = measure(rows, scores, threshold)
        mark = "  <- duplicates.threshold" if threshold == chosen else ""
        print(f"  threshold {threshold:3d}: precision {precision:.3f}, recall {recall:.3f}{mark}")


def main() -> None:
    classifier = TrainedClassifier()
    category = cache(lambda text: classifier.classify(text).category)
    # Each writer has habits a model can learn: trained on the others' pairs and tested on
    # theirs, the model meets strangers, as it does in a real grid. Five folds, each a fifth of
    # the writers.
    writers = sorted(PAIRS_DIR.glob("*.jsonl"))
    folds = [writers[k::5] for k in range(5)]
    table(
        f"the {len(writers)} writers' pairs, each fifth of the writers scored by a model trained "
        "on the other four fifths:",
        *scored(
            [
                (load_pairs(fold), load_pairs([w for w in writers if w not in fold]))
                for fold in folds
            ],
            category,
        ),
    )
    chosen = DuplicatesConfig().threshold

    @cache
    def appeal(text: str) -> bool:
        triage = classifier.classify(text).triage
        return triage.is_appeal and triage is not Triage.PRIVATE

    near_copy = DuplicatesConfig().near_copy

    def compared(rows: list[Row], scores: list[float]) -> list[bool]:
        """Whether the bot compares each pair: a opened a ticket others may join (an appeal,
        no private matter), and b is one too or else (chatter, a private matter) a near copy."""
        return [
            appeal(str(row["a"])) and (appeal(str(row["b"])) or score >= near_copy)
            for row, score in zip(rows, scores, strict=True)
        ]

    def both_open(rows: list[Row], scores: list[float]) -> str:
        """Recall on the repeats whose messages both open a ticket: those a missed merge leaves
        as two tickets for one problem. (Where the classifier takes a repeat's first message for
        chatter, the second opens the only ticket; where it takes the second so, that one opens
        none, and joins only as a near copy.)"""
        both = [
            score >= chosen
            for row, score in zip(rows, scores, strict=True)
            if row["duplicate"] and appeal(str(row["a"])) and appeal(str(row["b"]))
        ]
        return f"{sum(both) / len(both):.3f} ({sum(both)} of {len(both)})" if both else "(none)"

    holdout = load_pairs([HOLDOUT])
    held_scores = scores_of(holdout, PairModel.load(), category)
    table(
        f"held-out pairs ({len(holdout)}, another writer), shipped model:",
        holdout,
        held_scores,
        chosen,
    )
    precision, recall, wrong = measure(holdout, held_scores, chosen)
    print(
        f"at the shipped threshold {chosen:.0f}: merge precision {precision:.3f}, recall "
        f"{recall:.3f} (targets: precision >= 0.95, recall >= 0.80)"
    )
    print("wrong merges by kind:", dict(wrong) or "none")
    precision, recall, wrong = measure(holdout, held_scores, chosen, compared(holdout, held_scores))
    print(
        f"in the bot (a an appeal, no private matter; b one too, or a near copy): merge precision "
        f"{precision:.3f}, recall {recall:.3f}; wrong merges: {dict(wrong) or 'none'}; recall "
        f"where both open a ticket {both_open(holdout, held_scores)}"
    )

    more = load_pairs(sorted(HOLDOUT_MORE.glob("*.jsonl")))
    more_scores = scores_of(more, PairModel.load(), category)
    hard = load_pairs(sorted(HARD.glob("*.jsonl")))
    tenth = load_pairs(sorted(TENTH.glob("*.jsonl")))
    for title, rows, scores in (
        (f"{len(more)} more held-out pairs (two more writers)", more, more_scores),
        (
            f"all {len(holdout) + len(more)} held-out pairs",
            holdout + more,
            held_scores + more_scores,
        ),
        (
            f"{len(tenth)} pairs of four last writers (held out, never read)",
            tenth,
            scores_of(tenth, PairModel.load(), category),
        ),
        (
            f"hard pairs ({len(hard)}, four more writers)",
            hard,
            scores_of(hard, PairModel.load(), category),
        ),
    ):
        precision, recall, wrong = measure(rows, scores, chosen)
        in_bot = measure(rows, scores, chosen, compared(rows, scores))
        print(
            f"{title}, at {chosen:.0f}: merge precision {precision:.3f}, recall {recall:.3f}; "
            f"wrong merges: {dict(wrong) or 'none'}; in the bot {in_bot[0]:.3f} / {in_bot[1]:.3f}, "
            f"recall where both open a ticket {both_open(rows, scores)}"
        )


if __name__ == "__main__":
    main()
