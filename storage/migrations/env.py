"""Alembic environment: migrations run on the connection that `storage.engine.migrate` passes."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from sqlmodel import AutoString, SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    # SQLModel's AutoString is a plain String: write it so, keeping migrations free of sqlmodel.
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String({item.length or ''})"
    return False


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("run migrations through `gridbot` or pass -x sqlalchemy.url")
    with sa.create_engine(url).connect() as own:
        _run(own)
        own.commit()
else:
    _run(connection)
