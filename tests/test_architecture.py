"""The core stays platform-neutral: only the wiring modules import the concrete parts."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

WIRING = {"bootstrap.py", "cli.py", "cli_model.py", "cli_run.py"}
FORBIDDEN = ("adapters", "storage", "classifiers", "telegram", "wechaty", "sqlalchemy", "sqlmodel")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_core_imports_no_platform_storage_or_concrete_part() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in (ROOT / "bot").glob("*.py")
        if path.name not in WIRING
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    }
    assert offenders == set()
