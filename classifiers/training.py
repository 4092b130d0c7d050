"""Training the three heads (triage, category, urgency) from labelled examples, reproducibly."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.domain import CATEGORIES, DEFAULT_CATEGORY, Triage
from classifiers.duplicates import LinkTally, PairModel, Report, WordLinks, pair_features, report
from classifiers.features import Featurizer
from classifiers.linear import HeadWeights, JointModel

_LOGGER = logging.getLogger(__name__)
DATA = Path(__file__).parent / "data"
MODEL_DIR = Path(__file__).parent / "model"


def training_files() -> list[Path]:
    """The labelled data that ships with the package: dev.jsonl and our own extra*.jsonl."""
    return sorted(DATA.glob("*.jsonl"))


SEED = 20261122


@dataclass(frozen=True, slots=True)
class Example:
    """A labelled message."""

    id: str
    text: str
    triage: str
    category: str
    urgent: bool
    weight: float = 1.0


# The reference labels (LABELING.md's own examples) count more than data we wrote ourselves,
# so that where our conventions drift, the reference wins. The duplicate pairs' reports count
# less: they are many and nearly all appeals, and at full weight they make chatter look like one.
FILE_WEIGHTS = {"dev.jsonl": 2.0, "extra_pairs.jsonl": 0.35}


class BadExample(ValueError):
    """A training line that does not follow LABELING.md."""


def parse_example(data: dict[str, object], where: str, weight: float = 1.0) -> Example:
    """One labelled line; raises `BadExample` naming what is wrong."""
    try:
        triage = Triage(str(data["triage"]))
        category = str(data.get("category") or DEFAULT_CATEGORY)
        text = str(data["text"])
    except (KeyError, ValueError) as exc:
        raise BadExample(f"{where}: {exc}") from None
    if category not in CATEGORIES:
        raise BadExample(f"{where}: unknown category {category!r}")
    return Example(
        id=str(data.get("id", where)),
        text=text,
        triage=triage.value,
        category=DEFAULT_CATEGORY if triage is Triage.NONE else category,
        urgent=bool(data.get("urgent", False)),
        weight=weight,
    )


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Labelled examples from JSON Lines files; missing files are skipped."""
    examples = []
    for path in paths:
        if not path.exists():
            _LOGGER.info("no training file %s", path)
            continue
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    where = f"{path.name}:{number}"
                    weight = FILE_WEIGHTS.get(path.name, 1.0)
                    examples.append(parse_example(json.loads(line), where, weight))
    return examples


def _vocabulary(feature_lists: Sequence[Sequence[str]], min_count: int) -> tuple[str, ...]:
    """Every word and cue seen, and the character n-grams seen at least `min_count` times."""
    counts = Counter(f for features in feature_lists for f in set(features))
    return tuple(sorted(f for f, n in counts.items() if n >= min_count or ":" in f))


def _fit_head(
    feature_lists: Sequence[Sequence[str]],
    labels: Sequence[str],
    classes: Sequence[str],
    weights: Sequence[float],
    *,
    strength: float,
    balanced: bool = False,
) -> HeadWeights:
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    names = _vocabulary(feature_lists, min_count=2)
    vocabulary = {feature: row for row, feature in enumerate(names)}
    rows, cols, values = [], [], []
    for row, features in enumerate(feature_lists):
        known = [vocabulary[f] for f in features if f in vocabulary]
        scale = 1.0 / np.sqrt(len(known)) if known else 0.0
        rows += [row] * len(known)
        cols += known
        values += [scale] * len(known)
    matrix = csr_matrix((values, (rows, cols)), shape=(len(feature_lists), len(vocabulary)))
    present = [c for c in classes if c in set(labels)]
    model = LogisticRegression(
        C=strength,
        max_iter=3000,
        class_weight="balanced" if balanced else None,
        random_state=SEED,
    )
    model.fit(matrix, [present.index(label) for label in labels], sample_weight=list(weights))
    coefficients = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
    return HeadWeights(tuple(present), names, coefficients, model.intercept_.astype(np.float32))


STRENGTH = {"triage": 20.0, "category": 50.0, "urgent": 10.0}  # chosen by 5-fold CV


def fit(
    examples: Sequence[Example], featurizer: Featurizer, strength: dict[str, float] = STRENGTH
) -> JointModel:
    """Train the three heads on `examples` (`strength` is the inverse regularisation C)."""
    features = [featurizer.extract(e.text).features for e in examples]
    weights = [e.weight for e in examples]
    triage = _fit_head(
        features,
        [e.triage for e in examples],
        [t.value for t in Triage],
        weights,
        strength=strength["triage"],
    )
    appeals = [i for i, e in enumerate(examples) if e.triage != Triage.NONE.value]
    category = _fit_head(
        [features[i] for i in appeals],
        [examples[i].category for i in appeals],
        CATEGORIES,
        [weights[i] for i in appeals],
        strength=strength["category"],
        # Small categories (违建执法, 环境卫生) matter as much as large ones.
        balanced=True,
    )
    urgent = _fit_head(
        features,
        ["true" if e.urgent else "false" for e in examples],
        ("false", "true"),
        weights,
        strength=strength["urgent"],
        balanced=True,
    )
    return JointModel.merge({"triage": triage, "category": category, "urgent": urgent})


PAIRS_DIR = DATA / "pairs"
# The trees read word links learnt without the pairs they are fitted on: a fifth of the writers
# at a time (see `fit_pairs`).
LINK_FOLDS = 5
LINK_LEAST = 2  # a pair of words told fewer pairs apart than this weighs nothing
LINK_SMOOTHING = 1.0  # pairs' worth of the base rate each word pair's count is smoothed with
# The pair model's trees: chosen by cross-validation with each fold a fifth of the writers.
PAIR_TREES = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "max_depth": 4,
    "subsample": 0.8,
    "min_samples_leaf": 20,
}


def load_pairs(paths: Iterable[Path] | None = None) -> list[dict[str, object]]:
    """Labelled message pairs: {"a", "b", "duplicate", "kind", …} a line; each gets its file's
    name as "writer" unless it has one."""
    rows: list[dict[str, object]] = []
    for path in sorted(PAIRS_DIR.glob("*.jsonl")) if paths is None else paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                row = json.loads(line)
                if not {"a", "b", "duplicate"} <= row.keys():
                    raise BadExample(f"{path}:{number}: a pair needs a, b and duplicate")
                row.setdefault("writer", path.stem)
                rows.append(row)
    return rows


Reader = Callable[[str], tuple[Report, str]]


def reader(category: Callable[[str], str]) -> Reader:
    """A text's report and category, each text read and classified once."""
    seen: dict[str, tuple[Report, str]] = {}

    def read(text: str) -> tuple[Report, str]:
        if text not in seen:
            seen[text] = report(text), category(text)
        return seen[text]

    return read


def pair_matrix(
    rows: Sequence[dict[str, object]], read: Reader, links: WordLinks
) -> tuple[list[list[float]], list[bool], list[bool]]:
    """Each pair's features, its label, and whether its places agree at all (the pairs the
    index would compare)."""
    features, labels, comparable = [], [], []
    for row in rows:
        (first, first_category), (second, second_category) = (
            read(str(row["a"])),
            read(str(row["b"])),
        )
        features.append(pair_features(first, second, first_category == second_category, links))
        labels.append(bool(row["duplicate"]))
        comparable.append(first.same_place(second))
    return features, labels, comparable


def link_tally(rows: Sequence[dict[str, object]], read: Reader) -> LinkTally:
    """The tally of labelled pairs that word links are learnt from: all of them, those whose
    places disagree too (learnt from only those whose places agree, as the trees are, the
    links did no better: five folds of writers 0.970 / 0.890 against 0.970 / 0.891 at 80)."""
    return LinkTally.of(
        (read(str(row["a"]))[0].terms, read(str(row["b"]))[0].terms, bool(row["duplicate"]))
        for row in rows
    )


def link_folds(rows: Sequence[dict[str, object]]) -> list[list[dict[str, object]]]:
    """The pairs dealt into `LINK_FOLDS` folds by writer (sorted, every fifth to a fold), or by
    pair when there are fewer writers than folds."""
    writers = sorted({str(row.get("writer", "")) for row in rows})
    if len(writers) < LINK_FOLDS:
        return [list(rows[fold::LINK_FOLDS]) for fold in range(LINK_FOLDS)]
    fold_of = {writer: n % LINK_FOLDS for n, writer in enumerate(writers)}
    folds: list[list[dict[str, object]]] = [[] for _ in range(LINK_FOLDS)]
    for row in rows:
        folds[fold_of[str(row.get("writer", ""))]].append(row)
    return folds


# A report posted again by someone else, with a word of their own, is a duplicate however
# alike the rest is. The written pairs rarely show it (their hard negatives are built from
# near-copies), so each pair's first message is added again as such a repost.
_REPOSTS = (
    lambda text: text + "！！",
    lambda text: "又 " + text,
    lambda text: text.replace("，", " "),
    lambda text: text + "😡",
    lambda text: "@网格员 " + text,
    lambda text: text + " 快点处理",
    # and re-told at length: what a resident adds is about them, not another problem
    lambda text: text + "，这个月都第三回了，我们住高层的真的受不了",
    lambda text: "@物业 " + text + " 都好几天了，到底有没有人管啊",
    lambda text: text + "，家里有老人小孩，麻烦网格员尽快安排人来看一下，谢谢",
)


def reposts(rows: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """Every other pair's first message with one of `_REPOSTS`, as a duplicate pair."""
    return [
        {"a": row["a"], "b": _REPOSTS[n % len(_REPOSTS)](str(row["a"])), "duplicate": True}
        for n, row in enumerate(rows[::2])
    ]


def fit_pairs(rows: Sequence[dict[str, object]], category: Callable[[str], str]) -> PairModel:
    """Train the duplicate model on labelled pairs: gradient-boosted trees on the pairs whose
    places agree and on `reposts` of them, word links on all (`link_tally`).

    Trees, not a logistic model: whether a small difference between two texts matters depends
    on the rest (two faults differing count little when the words are near copies, much when
    they are not), and a linear model fitted to more writers' pairs lost precision on other
    writers where the trees gain both precision and recall.

    The word links shipped are learnt from all the pairs. The trees learn how far to trust
    links from pairs whose links were learnt without them: the writers are dealt into
    `LINK_FOLDS` folds and each fold's pairs read links learnt from the others' (by pair when
    there are too few writers). Links learnt from a pair itself would remember its answer, and
    the trees would trust them more than they deserve on a stranger's words.
    """
    from sklearn.ensemble import GradientBoostingClassifier

    read = reader(category)
    folds = link_folds(rows)
    everything = link_tally(rows, read)
    features: list[list[float]] = []
    labels: list[bool] = []
    for fold in folds:
        links = WordLinks.learn(
            everything.without(link_tally(fold, read), LINK_LEAST),
            smoothing=LINK_SMOOTHING,
            least=LINK_LEAST,
        )
        fold_features, fold_labels, comparable = pair_matrix([*fold, *reposts(fold)], read, links)
        kept = [i for i, keep in enumerate(comparable) if keep]
        features += [fold_features[i] for i in kept]
        labels += [fold_labels[i] for i in kept]
    model = GradientBoostingClassifier(init="zero", random_state=SEED, **PAIR_TREES)
    model.fit(features, labels)
    links = WordLinks.learn(everything, smoothing=LINK_SMOOTHING, least=LINK_LEAST)
    return replace(trees_of(model), links=links)


def trees_of(model: Any) -> PairModel:
    """A fitted binary `GradientBoostingClassifier` (init="zero") as a `PairModel`: its trees
    laid end to end, each leaf pointing to itself and holding its value times the learning
    rate. Only the public `tree_` arrays are read."""
    roots: list[int] = []
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    depth = 0
    for [estimator] in model.estimators_:
        tree = estimator.tree_
        start = len(value)
        roots.append(start)
        depth = max(depth, int(tree.max_depth))
        for node in range(tree.node_count):
            leaf = tree.children_left[node] == -1
            feature.append(0 if leaf else int(tree.feature[node]))
            threshold.append(0.0 if leaf else float(tree.threshold[node]))
            left.append(start + (node if leaf else int(tree.children_left[node])))
            right.append(start + (node if leaf else int(tree.children_right[node])))
            value.append(model.learning_rate * float(tree.value[node].ravel()[0]) if leaf else 0.0)
    return PairModel(
        tuple(roots),
        tuple(feature),
        tuple(threshold),
        tuple(left),
        tuple(right),
        tuple(value),
        depth,
    )
