"""The store backends this project has, and how tests open each one.

`StoreSpec` is picklable so that tests can reopen the same store in other processes.
"""

from __future__ import annotations

import atexit  # [option: storage=postgres]
import os  # [option: storage=postgres]
import secrets  # [option: storage=postgres]
from dataclasses import dataclass
from pathlib import Path

import pytest  # [option: storage=postgres]

from auth.store import Store

# Every backend this project was generated with (a PostgreSQL project tests SQLite too).
BACKENDS = [
    "sqlite",  # [option: storage=sqlite,postgres]
    "postgres",  # [option: storage=postgres]
    "yaml",  # [option: storage=yaml]
]


@dataclass(frozen=True)
class StoreSpec:
    """Where one test's store lives: a file for sqlite and yaml, a URL for postgres."""

    backend: str
    location: str

    def open(self) -> Store:
        """A new store object on this location (each process opens its own)."""
        # [option: storage=sqlite,postgres]
        if self.backend == "sqlite":
            from auth.store.sql import SQLStore, sqlite_engine

            return SQLStore(sqlite_engine(Path(self.location)))
        # [end option: storage=sqlite,postgres]
        # [option: storage=postgres]
        if self.backend == "postgres":
            from auth.store.postgres import postgres_store

            return postgres_store(self.location)
        # [end option: storage=postgres]
        # [option: storage=yaml]
        if self.backend == "yaml":
            from auth.store.yaml_store import YAMLStore

            return YAMLStore(Path(self.location))
        # [end option: storage=yaml]
        raise AssertionError(self.backend)


def new_spec(backend: str, tmp_path: Path) -> StoreSpec:
    """A fresh, empty location for `backend` (the schema is not yet created)."""
    # [option: storage=sqlite,postgres]
    if backend == "sqlite":
        return StoreSpec("sqlite", str(tmp_path / "users.db"))
    # [end option: storage=sqlite,postgres]
    # [option: storage=yaml]
    if backend == "yaml":
        return StoreSpec("yaml", str(tmp_path / "config.yaml"))
    # [end option: storage=yaml]
    # [option: storage=postgres]
    if backend == "postgres":
        url = _test_database()
        _empty_tables(url)
        return StoreSpec("postgres", url)
    # [end option: storage=postgres]
    raise AssertionError(backend)


# [option: storage=postgres]
# --- PostgreSQL: one database per test run, emptied before each test ---------------------

POSTGRES_URL_VARIABLE = "STAUTH_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
_databases: dict[str, str] = {}


def postgres_server_url() -> str:
    """A URL of the test server whose user may create databases."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


def new_postgres_database(purpose: str = "test") -> str:
    """Create an empty database `<purpose>_<random>`, dropped when the test run ends; its URL.

    Skips the test when no server answers, with how to get one; fails instead under CI=true.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    server = make_url(postgres_server_url()).set(drivername="postgresql+psycopg")
    name = f"{purpose}_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as exc:
        where = server.render_as_string(hide_password=True)
        message = (
            f"PostgreSQL not reachable at {where} ({str(exc.orig).splitlines()[0]}). Start one, "
            "e.g. `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`, "
            f"or point {POSTGRES_URL_VARIABLE} at a server whose user may create databases."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        admin.dispose()
    atexit.register(_drop_database, server, name)
    return server.set(database=name).render_as_string(hide_password=False)


def _test_database() -> str:
    if "run" not in _databases:
        _databases["run"] = new_postgres_database()
    return _databases["run"]


def _empty_tables(url: str) -> None:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    from auth.store.sql import metadata

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            present = set(inspect(conn).get_table_names())
            names = [f'"{t.name}"' for t in metadata.sorted_tables if t.name in present]
            if names:
                conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()


def _drop_database(server, name: str) -> None:
    from sqlalchemy import create_engine

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001, S110 - cleanup at exit must not hide the test result
        pass
    finally:
        admin.dispose()


# [end option: storage=postgres]
