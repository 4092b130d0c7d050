"""Shared fixtures: databases (SQLite, and PostgreSQL when configured), configs, the fake chat."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Config
from tests.utils.builders import make_config
from tests.utils.fakechat import FakeChat

PG_ENV = "GRIDBOT_TEST_DATABASE_URL"
ROOT = Path(__file__).resolve().parent.parent


def _postgres_url(base: str) -> Iterator[str]:
    """A fresh schema on the test server for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _backends() -> list[object]:
    backends: list[object] = ["sqlite"]
    backends.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
        )
    )
    return backends


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, and a PostgreSQL schema when GRIDBOT_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gridbot.db'}"
    else:
        yield from _postgres_url(os.environ[PG_ENV])


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'gridbot.db'}"


@pytest.fixture
def config() -> Config:
    """Two grids, each with a gridworker; g1 has a leader."""
    return make_config()


@pytest.fixture
def chat(config: Config, sqlite_url: str) -> FakeChat:
    """A fake group chat in front of a real bot on a SQLite file."""
    return FakeChat(config, sqlite_url)
