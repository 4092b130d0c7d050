"""Linear models over sparse binary features: trained by scikit-learn, run with numpy alone.

The three heads (triage, category, urgency) share one vocabulary and one weight matrix, so a
message costs one dictionary pass and one gather whatever the number of heads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class Head:
    """One decision of the model: its classes and its columns in the weight matrix.

    A binary head has a single column (the score of its second class).
    """

    name: str
    classes: tuple[str, ...]
    start: int
    stop: int

    def probabilities(self, scores: Sequence[float]) -> list[float]:
        """Class probabilities from the model's scores (softmax, or the logistic if binary)."""
        own = scores[self.start : self.stop]
        if len(own) == 1:
            positive = 1.0 / (1.0 + math.exp(-own[0]))
            return [1.0 - positive, positive]
        top = max(own)
        exp = [math.exp(s - top) for s in own]
        total = sum(exp)
        return [e / total for e in exp]

    def best(self, scores: Sequence[float]) -> str:
        """The likeliest class (the one with the highest score; no probabilities needed)."""
        own = scores[self.start : self.stop]
        if len(own) == 1:
            return self.classes[1 if own[0] > 0 else 0]
        return self.classes[own.index(max(own))]


@dataclass(frozen=True, slots=True)
class HeadWeights:
    """A trained head before merging: its own vocabulary and weights (features × columns)."""

    classes: tuple[str, ...]
    features: tuple[str, ...]
    weights: NDArray[np.float32]
    bias: NDArray[np.float32]


@dataclass(frozen=True)
class JointModel:
    """All heads over one vocabulary. A message's vector is binary, scaled by 1/sqrt(number of
    known features), in training and at run time alike."""

    features: tuple[str, ...]
    weights: NDArray[np.float32]  # (features, all heads' columns)
    bias: NDArray[np.float32]
    heads: Mapping[str, Head]
    vocabulary: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocabulary", {f: row for row, f in enumerate(self.features)})

    def rows(self, features: Sequence[str]) -> list[int]:
        """The rows of the features this model knows."""
        return [row for row in map(self.vocabulary.get, features) if row is not None]

    def scores(self, rows: Sequence[int]) -> list[float]:
        """Every head's raw scores for a message, given its feature rows."""
        if not rows:
            result: list[float] = self.bias.tolist()
            return result
        total = self.weights[rows].sum(axis=0) * np.float32(1 / math.sqrt(len(rows)))
        scores: list[float] = (total + self.bias).tolist()
        return scores

    @classmethod
    def merge(cls, heads: Mapping[str, HeadWeights]) -> JointModel:
        """One model from separately trained heads: the union of their vocabularies."""
        features = tuple(sorted({f for head in heads.values() for f in head.features}))
        vocabulary = {f: row for row, f in enumerate(features)}
        columns = sum(head.weights.shape[1] for head in heads.values())
        weights = np.zeros((len(features), columns), dtype=np.float32)
        bias = np.zeros(columns, dtype=np.float32)
        placed: dict[str, Head] = {}
        start = 0
        for name, head in heads.items():
            stop = start + head.weights.shape[1]
            rows = [vocabulary[f] for f in head.features]
            weights[rows, start:stop] = head.weights
            bias[start:stop] = head.bias
            placed[name] = Head(name, head.classes, start, stop)
            start = stop
        return cls(features, weights, bias, placed)

    def save(self, folder: Path) -> None:
        """Write `model.npz` (weights) and `model.json` (features and heads)."""
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "model.npz", weights=self.weights, bias=self.bias)
        meta = {
            "heads": [[h.name, h.classes, h.start, h.stop] for h in self.heads.values()],
            "features": self.features,
        }
        (folder / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> JointModel:
        """Read a model written by `save`."""
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        with np.load(folder / "model.npz") as arrays:
            weights = arrays["weights"].astype(np.float32)
            bias = arrays["bias"].astype(np.float32)
        heads = {
            name: Head(name, tuple(classes), start, stop)
            for name, classes, start, stop in meta["heads"]
        }
        return cls(tuple(meta["features"]), weights, bias, heads)
