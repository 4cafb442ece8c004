"""The store backends this project has, and how tests open each one.

A backend is tested when its module exists: the template's post-generation
hook deletes the modules of backends that were not chosen. `StoreSpec` is
picklable so that tests can reopen the same store in other processes.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from auth.store import Store


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available_backends() -> list[str]:
    backends = []
    if _has("auth.store.sql"):
        backends.append("sqlite")
    if _has("auth.store.postgres"):
        backends.append("postgres")
    if _has("auth.store.yaml_store"):
        backends.append("yaml")
    return backends


BACKENDS = available_backends()


@dataclass(frozen=True)
class StoreSpec:
    """Where one test's store lives: a file for sqlite and yaml, a URL for postgres."""

    backend: str
    location: str

    def open(self) -> Store:
        """A new store object on this location (each process opens its own)."""
        if self.backend == "sqlite":
            from auth.store.sql import SQLStore, sqlite_engine

            return SQLStore(sqlite_engine(Path(self.location)))
        if self.backend == "postgres":
            from auth.store.postgres import postgres_store

            return postgres_store(self.location)
        if self.backend == "yaml":
            raise NotImplementedError("yaml factory: tests/auth/store/backends.py")
        raise AssertionError(self.backend)


def new_spec(backend: str, tmp_path: Path) -> StoreSpec:
    """A fresh, empty location for `backend` (the schema is not yet created)."""
    if backend == "sqlite":
        return StoreSpec("sqlite", str(tmp_path / "users.db"))
    if backend == "yaml":
        return StoreSpec("yaml", str(tmp_path / "config.yaml"))
    if backend == "postgres":
        url = _test_database()
        _empty_tables(url)
        return StoreSpec("postgres", url)
    raise AssertionError(backend)


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
