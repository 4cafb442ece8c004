"""PostgreSQL specifics: the URL and driver, SERIALIZABLE writes, which errors are retried,
and the store's retry of a whole operation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from auth.store import NewUser, Store, sql
from auth.store.sql import SQLStore, sqlite_engine
from tests.auth.store.backends import BACKENDS, new_postgres_database

pytestmark = pytest.mark.skipif("postgres" not in BACKENDS, reason="generated without PostgreSQL")
NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def database_url():
    return new_postgres_database("pgspec")


def test_any_postgres_spelling_gets_the_psycopg_driver():
    from auth.store.postgres import postgres_url

    for scheme in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        url = postgres_url(f"{scheme}://u:p%40ss@db.example.com:6543/app?sslmode=require")
        assert url == "postgresql+psycopg://u:p%40ss@db.example.com:6543/app?sslmode=require"
    with pytest.raises(ValueError, match="PostgreSQL"):
        postgres_url("mysql://u@h/db")


def test_writes_are_serializable_and_reads_read_committed(database_url):
    from auth.store.postgres import postgres_store

    store = postgres_store(database_url)
    try:
        with store._write() as conn:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "serializable"
        with store._read() as conn:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
    finally:
        store.engine.dispose()


def test_a_serialization_failure_is_retryable_and_a_duplicate_is_not(database_url):
    from auth.store.postgres import is_retryable, postgres_engine

    engine = postgres_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS pair (id int PRIMARY KEY, n int)")
            conn.exec_driver_sql("TRUNCATE pair")
            conn.exec_driver_sql("INSERT INTO pair VALUES (1, 0)")
        first = engine.connect().execution_options(write=True)
        second = engine.connect()
        first.begin()
        first.execute(text("SELECT n FROM pair WHERE id = 1")).scalar()  # snapshot taken
        with second.begin():
            second.execute(text("UPDATE pair SET n = n + 1 WHERE id = 1"))
        with pytest.raises(OperationalError) as lost:
            first.execute(text("UPDATE pair SET n = n + 1 WHERE id = 1"))
        assert is_retryable(lost.value)
        first.rollback()
        with pytest.raises(IntegrityError) as duplicate, second.begin():
            second.execute(text("INSERT INTO pair VALUES (1, 0)"))
        assert not is_retryable(duplicate.value)
        assert not is_retryable(ValueError("40001"))
        first.close()
        second.close()
    finally:
        engine.dispose()


class _Flaky:
    """An engine whose first `failures` connections fail with `error`."""

    def __init__(self, engine, failures: int, error: Exception):
        self.engine, self.failures, self.error, self.calls = engine, failures, error, 0

    def connect(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.engine.connect()


def _lost_conflict() -> OperationalError:
    return OperationalError("UPDATE ...", {}, Exception("could not serialize access"))


def _flaky_store(tmp_path, failures: int) -> tuple[SQLStore, _Flaky]:
    real = sqlite_engine(tmp_path / "users.db")
    SQLStore(real).create_schema()
    flaky = _Flaky(real, failures, _lost_conflict())
    store = SQLStore(real, retryable=lambda exc: isinstance(exc, OperationalError))
    store.engine = flaky  # type: ignore[assignment]
    return store, flaky


def test_an_operation_that_lost_a_conflict_runs_again_once_whole(tmp_path):
    store, flaky = _flaky_store(tmp_path, failures=2)
    user = store.create_user(
        NewUser(username="a", email="a@x.io", password_hash="h", roles=()), now=NOW
    )
    assert flaky.calls == 3 and store.count_users() == 1 and user.username == "a"


def test_retries_stop_after_retry_seconds(tmp_path, monkeypatch):
    monkeypatch.setattr(sql, "RETRY_SECONDS", 0.2)
    store, flaky = _flaky_store(tmp_path, failures=10**6)
    with pytest.raises(OperationalError):
        store.prune_audit(before=NOW)
    assert 2 <= flaky.calls < 1000


def test_reads_are_not_retried(tmp_path):
    """Reads run READ COMMITTED, where PostgreSQL reports no serialization conflict."""
    store, flaky = _flaky_store(tmp_path, failures=1)
    with pytest.raises(OperationalError):
        store.count_users()
    assert flaky.calls == 1


def test_every_write_declares_its_retries():
    """A method added to SQLStore that writes must say @retried; reads must not."""
    writes = {
        name
        for name, value in vars(SQLStore).items()
        if not name.startswith("_") and getattr(value, "__wrapped__", None) is not None
    }
    reads = {
        "get_user", "find_user", "find_user_by_identity", "list_users", "count_users",
        "count_active_admins", "get_invitation", "list_invitations", "list_audit",
        "count_audit", "audit_per_day", "get_session", "load_session", "list_sessions",
        "count_signed_in_users",
    }  # fmt: skip
    abstract = {
        name for name in dir(Store) if getattr(getattr(Store, name), "__isabstractmethod__", False)
    }
    assert writes == abstract - reads - {"create_schema"}


def test_other_errors_are_not_retried(tmp_path):
    real = sqlite_engine(tmp_path / "users.db")
    flaky = _Flaky(real, 1, _lost_conflict())
    store = SQLStore(real)  # SQLite: nothing is retryable
    store.engine = flaky  # type: ignore[assignment]
    with pytest.raises(OperationalError):
        store.count_users()
    assert flaky.calls == 1


def test_the_server_setting_names_a_reachable_server():
    """The test database factory itself: a fresh database exists and is empty."""
    url = new_postgres_database("probe")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert (
                conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                ).scalar()
                == 0
            )
    finally:
        engine.dispose()


def test_open_store_gives_a_migrated_retrying_postgres_store(database_url, settings):
    from dataclasses import replace

    from auth.store import open_store
    from auth.store.migrate import current_revision, head_revision
    from auth.store.postgres import is_retryable

    store = open_store(replace(settings, storage_backend="postgres", database_url=database_url))
    assert isinstance(store, SQLStore)
    try:
        assert store.engine.dialect.name == "postgresql" and store.retryable is is_retryable
        assert current_revision(store.engine) == head_revision()
    finally:
        store.engine.dispose()
