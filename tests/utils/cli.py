"""Running the installed `gridbot` command as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRIDBOT = Path(sys.executable).parent / "gridbot"


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `gridbot ARGS` from the repository root; output is captured as text."""
    return subprocess.run(
        [str(GRIDBOT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )
