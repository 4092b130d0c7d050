"""Classifiers behind the core's `Classifier` port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from classifiers.features import Featurizer
from classifiers.trained import TrainedClassifier
from classifiers.training import MODEL_DIR, Example, fit, load_examples, training_files

__all__ = [
    "MODEL_DIR",
    "Example",
    "TrainedClassifier",
    "load_examples",
    "train",
    "training_files",
]


def train(
    examples: Sequence[Example], folder: Path, featurizer: Featurizer | None = None
) -> TrainedClassifier:
    """Train on `examples`, write the model to `folder` and load it from there."""
    featurizer = featurizer or Featurizer()
    fit(examples, featurizer).save(folder)
    return TrainedClassifier(folder, featurizer)
