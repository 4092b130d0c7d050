"""Classifiers behind the core's `Classifier` port."""

from classifiers.keywords import KeywordClassifier

__all__ = ["KeywordClassifier"]
