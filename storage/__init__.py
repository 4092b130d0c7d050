"""Persistence: SQLModel tables, the engine factory, migrations and the SQL ticket store."""

from storage.engine import DatabaseError, make_engine, migrate
from storage.store import SqlStore

__all__ = ["DatabaseError", "SqlStore", "make_engine", "migrate"]
