"""How the classifier does on a writer it never saw: train without one of our data sets, test
on it.

Run: .venv/bin/python bench/held_out_writer.py [extra_fields.jsonl]

Each of our sets was written separately (README, "Training data"); leaving one out of training
and testing on it is closer to unseen real chat than cross-validation on dev.jsonl.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from classifiers import load_examples, train, training_files
from classifiers.evaluate import evaluate, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", default="extra_fields.jsonl", help="a set to leave out")
    args = parser.parse_args()
    files = training_files()
    held = [f for f in files if f.name == args.name]
    if not held:
        parser.error(f"no such set; choose one of {', '.join(f.name for f in files)}")
    examples = load_examples(held)
    with tempfile.TemporaryDirectory(prefix="gridbot-held-out-") as folder:
        classifier = train(load_examples([f for f in files if f not in held]), Path(folder))
        print(render(evaluate(classifier, examples), title=f"trained without {args.name}"))


if __name__ == "__main__":
    main()
