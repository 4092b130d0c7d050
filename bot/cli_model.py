"""The classifier's subcommands: classify, eval and train."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.config import Config
from bot.domain import TRIAGE_WORDS, Verdict

if TYPE_CHECKING:
    from classifiers import Example

Command = Callable[[argparse.Namespace, Config], int]


class ModelProblem(Exception):
    """A classifier subcommand cannot go on; the message says what to do."""


def _verdict_line(verdict: Verdict) -> str:
    urgent = "，紧急" if verdict.urgent else ""
    reasons = "、".join(verdict.reasons) or "—"
    return (
        f"{verdict.triage.value}（{TRIAGE_WORDS[verdict.triage]}）· {verdict.category}{urgent} · "
        f"把握 {verdict.confidence:.2f} · 依据：{reasons}"
    )


def _classify(args: argparse.Namespace, config: Config) -> int:
    from bot.bootstrap import build_classifier

    classifier = build_classifier(config)
    if args.jsonl is None:
        if not args.text:
            raise ModelProblem(
                'give a message, e.g. gridbot classify "3栋电梯坏了", or --jsonl FILE'
            )
        for text in args.text:
            print(_verdict_line(classifier.classify(text)))
        return 0
    out: TextIO = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        with open(args.jsonl, encoding="utf-8-sig") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    text = row["text"]
                    if not isinstance(text, str):
                        raise TypeError("text is not a string")
                except (ValueError, KeyError, TypeError) as exc:
                    print(f"gridbot: line {number} skipped: {exc}", file=sys.stderr)
                    continue
                verdict = classifier.classify(text)
                result = {
                    "id": row.get("id", number),
                    "triage": verdict.triage.value,
                    "category": verdict.category,
                    "urgent": verdict.urgent,
                    "confidence": round(verdict.confidence, 4),
                }
                print(json.dumps(result, ensure_ascii=False), file=out)
    except OSError as exc:
        raise ModelProblem(f"cannot read {args.jsonl}: {exc.strerror}") from None
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def _labelled(path: str) -> list[Example]:
    from classifiers import load_examples
    from classifiers.training import BadExample

    try:
        return list(load_examples([Path(path)]))
    except (OSError, BadExample, ValueError) as exc:
        raise ModelProblem(f"cannot use {path}: {exc}") from None


def _eval(args: argparse.Namespace, config: Config) -> int:
    from classifiers import load_examples, train, training_files
    from classifiers.evaluate import cross_validate, evaluate, render

    examples = _labelled(args.file)
    if not examples:
        raise ModelProblem(f"{args.file} has no labelled messages")
    texts = {e.text for e in examples}
    background = [e for e in load_examples(training_files()) if e.text not in texts]
    if args.cv:
        result = cross_validate(examples, args.cv, background, train)
        title = (
            f"{args.cv}-fold cross-validation on {args.file} "
            f"(each fold trained with {len(background)} more messages that are never tested)"
        )
    else:
        from bot.bootstrap import build_classifier

        known = len(texts & {e.text for e in load_examples(training_files())})
        if known:
            print(
                f"note: {known} of {len(examples)} messages are in the training data; "
                "use --cv K for an honest figure",
                file=sys.stderr,
            )
        result = evaluate(build_classifier(config), examples)
        title = f"shipped model on {args.file}"
    print(render(result, title=title))
    return 0


def _train(args: argparse.Namespace, config: Config) -> int:
    from bot.bootstrap import corrections
    from classifiers import MODEL_DIR, load_examples, train, train_duplicates, training_files

    examples = load_examples(training_files())
    learned = corrections(config, args.db)
    folder = Path(args.out) if args.out else MODEL_DIR
    classifier = train([*examples, *learned], folder)
    pairs = train_duplicates(classifier, folder)
    print(
        f"trained on {len(examples)} packaged messages and {len(learned)} gridworker "
        f"corrections, and the duplicate model on {pairs} labelled pairs; "
        f"models written to {folder}"
    )
    return 0


def register(add: Callable[[str, str, Command], argparse.ArgumentParser]) -> None:
    """Add the classifier's subcommands to the `gridbot` parser."""
    classify = add(
        "classify", "classify messages: triage, category, urgency, with reasons", _classify
    )
    classify.add_argument("text", nargs="*", help="message text(s)")
    classify.add_argument("--jsonl", metavar="IN", help='JSON Lines of {"id", "text"}')
    classify.add_argument("--out", metavar="OUT", help="write the verdicts here (default: stdout)")

    evaluate = add("eval", "measure the classifier on a labelled JSON Lines file", _eval)
    evaluate.add_argument("file", metavar="FILE.jsonl")
    evaluate.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation instead")

    train = add(
        "train", "train the classifier on the packaged data and gridworkers' corrections", _train
    )
    train.add_argument(
        "--db", metavar="URL", help="where the corrections are (default: the config's)"
    )
    train.add_argument(
        "--out", metavar="DIR", help="write the model here (default: the packaged model)"
    )
