"""Write the next Alembic revision from the models: `python -m storage.revision "what changed"`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from storage.engine import MIGRATIONS, make_engine, migrate


def main(argv: list[str]) -> int:
    """Autogenerate a revision against a scratch database brought up to the newest one."""
    if len(argv) != 1 or not argv[0].strip():
        print('usage: python -m storage.revision "what changed"', file=sys.stderr)
        return 2
    existing = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    next_id = f"{int(existing[-1][:4]) + 1:04d}" if existing else "0001"
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'scratch.db'}")
        migrate(engine)
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=argv[0], autogenerate=True, rev_id=next_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
