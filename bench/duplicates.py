"""Duplicate matching cost as a grid grows: average time to match one new report against 100,
1,000, 10,000 and 100,000 open tickets of one grid (target: under 2 ms at 10,000, and flat).

Run: .venv/bin/python bench/duplicates.py [--queries N]

The tickets are synthetic but shaped like real reports: nine categories, eighty buildings in
the ways residents write them, units, gates and roads, forty kinds of problem, chatty filler.
The flatness ratio compares each size with 100 tickets in the same run (machines are noisy).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime

from bot.domain import CATEGORIES
from classifiers.duplicates import DuplicateIndex

PROBLEMS = (
    "电梯坏了",
    "电梯停了不动",
    "楼道灯不亮",
    "水管漏水",
    "停水了",
    "下水道堵了",
    "垃圾没人收",
    "垃圾桶满了",
    "楼道堆满杂物",
    "电动车在楼道充电",
    "路灯坏了",
    "井盖松了",
    "路面坑洼",
    "噪音扰民",
    "广场舞太吵",
    "狗屎没人管",
    "违章搭建",
    "占道经营",
    "车停在消防通道",
    "门禁坏了",
    "快递柜坏了",
    "外墙瓷砖掉了",
    "屋顶漏雨",
    "暖气不热",
    "燃气表异常",
    "监控坏了",
    "绿化带被占",
    "小广告贴满",
    "油烟扰民",
    "空调滴水",
    "楼上漏水到我家",
    "窗户玻璃碎了",
    "消防栓漏水",
    "单元门关不上",
    "楼梯扶手松了",
    "化粪池满了",
    "路口红绿灯坏了",
    "公交站牌倒了",
    "雨水倒灌车库",
    "树枝快断了",
)
BUILDING_FORMS = ("{}栋", "{}号楼", "{}#", "{}幢")
FILLER = ("", "麻烦看看", "好几天了", "老人出门不方便", "什么时候修啊", "请尽快处理", "😭", "！！")
SPOTS = ("", "", "", "东门", "西门", "南门", "北门", "人民路", "花园街")


def synthetic(rng: random.Random) -> tuple[str, str]:
    """A category and a report text."""
    building = rng.choice(BUILDING_FORMS).format(rng.randint(1, 80))
    unit = rng.choice(("", f"{rng.randint(1, 6)}单元"))
    text = f"{rng.choice(SPOTS)}{building}{unit}{rng.choice(PROBLEMS)}，{rng.choice(FILLER)}"
    return rng.choice(CATEGORIES[:-1]), text


def measure(size: int, queries: int, seed: int) -> tuple[float, float]:
    """Build an index of `size` tickets; returns (build seconds, mean ms per match)."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    index = DuplicateIndex()
    start = time.perf_counter()
    for ticket in range(size):
        category, text = synthetic(rng)
        index.add(ticket, "grid", category, text, now)
    built = time.perf_counter() - start
    probes = [synthetic(rng) for _ in range(queries)]
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for category, text in probes:
            index.match("grid", category, text, now)
        rounds.append((time.perf_counter() - start) / queries * 1000)
    return built, statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    base = None
    print(f"{'open tickets':>12}  {'index build':>11}  {'match, mean':>11}  {'vs 100':>6}")
    for size in (100, 1_000, 10_000, 100_000):
        built, per_match = measure(size, args.queries, seed=size)
        base = base or per_match
        print(f"{size:>12,}  {built:>9.2f} s  {per_match:>8.3f} ms  {per_match / base:>5.1f}x")
    print("target: under 2 ms a match at 10,000 open tickets, and flat as the grid grows")


if __name__ == "__main__":
    main()
