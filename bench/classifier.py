"""Classifier speed and size: throughput against plain jieba.lcut, cold start, memory.

Run: .venv/bin/python bench/classifier.py [--rounds N]

Throughput is a ratio against `jieba.lcut` over the same messages in the same process, rounds
interleaved so that a noisy machine slows both alike; the median round ratio is reported.
Cold start and memory are measured in fresh processes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "classifiers" / "data" / "dev.jsonl"

COLD_START = """
import time, resource
start = time.perf_counter()
from classifiers import TrainedClassifier
verdict = TrainedClassifier().classify("3栋的电梯又坏了，老人上不去楼")
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed:.3f} {rss:.1f} {verdict.triage.value}")
"""


def throughput(rounds: int) -> None:
    import jieba

    from classifiers import TrainedClassifier

    texts = [json.loads(line)["text"] for line in MESSAGES.open(encoding="utf-8")]
    jieba.setLogLevel(60)
    jieba.initialize()
    classifier = TrainedClassifier()
    classifier.classify(texts[0])  # load the dictionary before timing
    ratios, ours, theirs = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            jieba.lcut(text)
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        for text in texts:
            classifier.classify(text)
        classified = time.perf_counter() - start
        ratios.append(baseline / classified)
        ours.append(len(texts) / classified)
        theirs.append(len(texts) / baseline)
    print(
        f"messages: {len(texts)} (avg {sum(map(len, texts)) / len(texts):.0f} characters), "
        f"{rounds} interleaved rounds"
    )
    print(f"jieba.lcut:           {statistics.median(theirs):8,.0f} messages/s")
    print(f"gridbot classify:     {statistics.median(ours):8,.0f} messages/s")
    print(
        f"throughput ratio:     {statistics.median(ratios):8.2f} x jieba.lcut "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target >= 0.80)"
    )


def cold_start(runs: int) -> None:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", COLD_START], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.split()
        results.append((float(out[0]), float(out[1])))
    seconds = [s for s, _ in results]
    memory = [m for _, m in results]
    print(
        f"cold start to first verdict: median {statistics.median(seconds):.2f} s "
        f"(max {max(seconds):.2f} s over {runs} fresh processes; target < 2 s)"
    )
    print(f"resident memory with the classifier loaded: {max(memory):.0f} MB (target < 250 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cold", type=int, default=5, help="fresh processes for cold start")
    args = parser.parse_args()
    throughput(args.rounds)
    cold_start(args.cold)


if __name__ == "__main__":
    main()
