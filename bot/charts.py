"""The digest's chart: a PNG drawn with matplotlib in a CJK font that ships with a Python
package (Noto Sans CJK SC, from mplfonts), so nothing depends on the system's fonts."""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: draw to memory

from matplotlib import font_manager
from matplotlib import pyplot as plt

from bot.domain import TRIAGE_WORDS
from bot.stats import APPEAL_TRIAGES, GridStats

_LOCK = threading.Lock()  # pyplot keeps global state


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the packaged CJK font with matplotlib once; returns its family name."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(path))
    name: str = font_manager.FontProperties(fname=str(path)).get_name()
    return name


def digest_chart(stats: GridStats, *, grid: str, title: str) -> bytes:
    """Two panels: the period's flow (new, responded, resolved, overdue now) and what is still
    open by triage. Returns PNG bytes."""
    flow = {
        "新受理": stats.appeals,
        "已响应": stats.responded,
        "已办结": stats.resolved,
        "现超期": len(stats.overdue_now),
    }
    still_open = {TRIAGE_WORDS[t]: stats.open_by_triage[t] for t in APPEAL_TRIAGES}
    with _LOCK:
        plt.rcParams["font.family"] = cjk_font()
        plt.rcParams["axes.unicode_minus"] = False
        figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.6), dpi=100)
        try:
            bars = left.bar(
                list(flow), list(flow.values()), color=["#4C72B0", "#55A868", "#8172B2", "#C44E52"]
            )
            left.bar_label(bars)
            left.set_title(f"{title}工单")
            bars = right.bar(list(still_open), list(still_open.values()), color="#DD8452")
            right.bar_label(bars)
            right.set_title("在办（按三事分流）")
            for axis in (left, right):
                axis.spines[["top", "right"]].set_visible(False)
                axis.set_yticks([])
            rate = "—" if stats.closure_rate is None else f"{stats.closure_rate:.0%}"
            happy = "—" if stats.satisfaction is None else f"{stats.satisfaction:.0%}"
            figure.suptitle(f"{grid}  办结率 {rate}  满意率 {happy}")
            figure.tight_layout()
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
        finally:
            plt.close(figure)
    return buffer.getvalue()
