"""Schema migrations (Alembic, scripts in migrations/) applied from code, one process at a time.

`upgrade(engine)` is what `SQLStore.create_schema()` and `python manage.py migrate`
run: no alembic.ini is needed. The whole upgrade is one transaction that first
takes a lock, so two processes starting at once cannot both migrate: the
second waits, then finds the schema current. PostgreSQL: a transaction-scoped
advisory lock. SQLite: BEGIN IMMEDIATE (the write lock of the whole file).

A database made by the pre-migration `create_all` has tables but no
`alembic_version`; it is stamped with the revision its tables match first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"
# Any constant the app alone uses; pg_advisory_xact_lock takes a 64-bit key.
ADVISORY_LOCK_KEY = 0x5354_4155_5448  # "STAUTH"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration in code; env.py uses `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no migrations applied yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to `revision` (default: the newest); returns the revision reached."""
    with _locked(engine) as conn:
        config = alembic_config(conn)
        legacy = _legacy_revision(conn)
        if legacy is not None:
            command.stamp(config, legacy)
        command.upgrade(config, revision)
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that only one process at a time can hold."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Rebuilding a table (ALTER on SQLite) drops the old one, which with foreign
            # keys on would cascade-delete its children; switched off outside any transaction.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            # SQLite: BEGIN IMMEDIATE. PostgreSQL: READ COMMITTED, not the SERIALIZABLE of other
            # writes, so that after waiting for the lock each statement sees the winner's work.
            with conn.execution_options(write=sqlite).begin():
                if not sqlite:
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
                yield conn
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows pointing at missing rows")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _legacy_revision(conn: Connection) -> str | None:
    """The revision a schema made by `create_all`, without `alembic_version`, matches."""
    tables = set(inspect(conn).get_table_names())
    if "users" not in tables or "alembic_version" in tables:
        return None
    return "0002" if "audit_log" in tables else "0001"
