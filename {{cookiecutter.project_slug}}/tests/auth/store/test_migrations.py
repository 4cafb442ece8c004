"""Alembic migrations: fresh and old databases reach the newest revision with their data,
the migrations build exactly the schema the code declares, and only one process migrates."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from auth.store import NewUser
from auth.store.migrate import current_revision, head_revision, upgrade
from auth.store.sql import SQLStore, metadata, sqlite_engine
from tests.auth.store.backends import (
    BACKENDS,
    new_postgres_database,  # [option: storage=postgres]
)

SQL_BACKENDS = [b for b in BACKENDS if b in ("sqlite", "postgres")]
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _engine(backend: str, tmp_path):
    # [option: storage=postgres]
    if backend == "postgres":
        from auth.store.postgres import postgres_engine

        return postgres_engine(new_postgres_database("migrate"))
    # [end option: storage=postgres]
    return sqlite_engine(tmp_path / "users.db")


@pytest.fixture(params=SQL_BACKENDS)
def engine(request, tmp_path):
    engine = _engine(request.param, tmp_path)
    yield engine
    engine.dispose()


def _store(engine) -> SQLStore:
    # [option: storage=postgres]
    if engine.dialect.name == "postgresql":
        from auth.store.postgres import is_retryable

        return SQLStore(engine, retryable=is_retryable)
    # [end option: storage=postgres]
    return SQLStore(engine)


def _add_revision_1_data(engine) -> None:
    """A user with a role and a session, written as the first schema's code wrote them."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, username_key, email, email_key, first_name, "
                "last_name, password_hash, disabled, must_change_password, failed_logins, "
                "created_at) VALUES ('Alice', 'alice', 'Alice@Example.com', "
                "'alice@example.com', 'Alice', 'Liddell', 'bcrypt_hmac$x', false, false, 2, "
                ":now)"
            ),
            {"now": NOW.replace(tzinfo=None)},
        )
        user_id = conn.execute(text("SELECT id FROM users")).scalar_one()
        conn.execute(
            text("INSERT INTO user_roles (user_id, role) VALUES (:id, 'admin')"), {"id": user_id}
        )
        conn.execute(
            text(
                "INSERT INTO sessions (id, user_id, method, created_at, last_seen_at, expires_at,"
                " user_agent, ip) VALUES ('s1', :id, 'password', :now, :now, :later, '', '')"
            ),
            {
                "id": user_id,
                "now": NOW.replace(tzinfo=None),
                "later": NOW.replace(tzinfo=None, year=2031),
            },
        )


def _assert_revision_1_data_kept(engine) -> None:
    store = _store(engine)
    alice = store.find_user("ALICE@example.com")
    assert (alice.username, alice.first_name, alice.last_name) == ("Alice", "Alice", "Liddell")
    assert alice.roles == ("admin",) and alice.failed_logins == 2 and alice.created_at == NOW
    assert alice.email_verified and alice.auth_source == "local"  # the new columns' defaults
    assert store.get_session("s1").user_id == alice.id
    # The new tables work, and the old rows take part in the new constraints.
    assert store.hit_counter("k", now=NOW, window=timedelta(minutes=1)) == 1
    bob = store.create_user(
        NewUser(username="bob", email="", password_hash=None, roles=()), now=NOW
    )
    assert bob.email == "" and store.count_users() == 2


def test_a_fresh_database_is_migrated_to_the_newest_revision(engine):
    assert current_revision(engine) is None
    assert _store(engine).create_schema() is None
    assert current_revision(engine) == head_revision()
    assert {t.name for t in metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    _store(engine).create_schema()  # again: nothing to do
    assert current_revision(engine) == head_revision()


def test_a_revision_1_database_keeps_its_data_through_the_upgrade(engine):
    assert upgrade(engine, "0001") == "0001"
    _add_revision_1_data(engine)
    assert upgrade(engine) == head_revision()
    _assert_revision_1_data_kept(engine)


def test_a_database_made_before_migrations_is_stamped_then_upgraded(engine):
    """`create_all` of the first schema left tables but no alembic_version."""
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    _add_revision_1_data(engine)
    _store(engine).create_schema()
    assert current_revision(engine) == head_revision()
    _assert_revision_1_data_kept(engine)


def test_the_migrations_build_exactly_the_declared_schema(engine):
    """What `alembic check` does: autogenerate finds nothing left to migrate."""
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_every_migration_can_be_undone_and_redone(engine):
    from alembic import command

    from auth.store.migrate import alembic_config

    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert upgrade(engine) == head_revision()


def _open(url_or_path: str) -> SQLStore:
    # [option: storage=postgres]
    if url_or_path.startswith("postgresql"):
        from auth.store.postgres import postgres_store

        return postgres_store(url_or_path)
    # [end option: storage=postgres]
    from pathlib import Path

    return SQLStore(sqlite_engine(Path(url_or_path)))


def _migrate(url_or_path: str, barrier) -> None:
    store = _open(url_or_path)
    barrier.wait(60)
    store.create_schema()


@pytest.mark.stress
def test_processes_starting_at_once_migrate_once(engine, tmp_path):
    location = (
        engine.url.render_as_string(hide_password=False)
        if engine.dialect.name == "postgresql"
        else str(tmp_path / "users.db")
    )
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_migrate, args=(location, barrier)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert current_revision(engine) == head_revision()
