"""Classifiers behind the core's `Classifier` port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from classifiers.duplicates import PAIR_MODEL
from classifiers.features import Featurizer
from classifiers.trained import TrainedClassifier
from classifiers.training import (
    MODEL_DIR,
    Example,
    fit,
    fit_pairs,
    load_examples,
    load_pairs,
    training_files,
)

__all__ = [
    "MODEL_DIR",
    "Example",
    "TrainedClassifier",
    "load_examples",
    "train",
    "train_duplicates",
    "training_files",
]


def train(
    examples: Sequence[Example], folder: Path, featurizer: Featurizer | None = None
) -> TrainedClassifier:
    """Train on `examples`, write the model to `folder` and load it from there."""
    featurizer = featurizer or Featurizer()
    fit(examples, featurizer).save(folder)
    return TrainedClassifier(folder, featurizer)


def train_duplicates(classifier: TrainedClassifier, folder: Path) -> int:
    """Train the duplicate model on the packaged pairs, with `classifier` giving categories,
    and write it to `folder`; returns the number of pairs."""
    pairs = load_pairs()
    model = fit_pairs(pairs, lambda text: classifier.classify(text).category)
    model.save(folder / PAIR_MODEL.name)
    return len(pairs)
