"""Alembic environment: the schema is `auth.store.sql.metadata`.

The app runs migrations through `auth.store.migrate.upgrade`, which hands over
its own (locked) connection. Run by the `alembic` command instead (e.g. to
write a new revision: `alembic -c migrations/alembic.ini revision --autogenerate
-m "what changes"`), the database comes from settings.toml and secrets.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import context

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy.engine import Connection, Engine  # noqa: E402

from auth.store.sql import metadata  # noqa: E402


def _configured_engine() -> Engine:
    import tomllib

    from auth.config import load_settings
    from auth.store import open_engine

    secrets_file = PROJECT_DIR / ".streamlit" / "secrets.toml"
    secrets = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
    return open_engine(load_settings(secrets))


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = _configured_engine()
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite can ALTER only by rebuilding the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations()
