"""PostgreSQL specifics for the SQL store: the engine and which errors are worth a retry.

Write transactions run SERIALIZABLE, the PostgreSQL counterpart of SQLite's
BEGIN IMMEDIATE: a check-then-write (e.g. "is another admin left?") cannot be
invalidated by a concurrent writer. PostgreSQL reports such a conflict as a
serialization failure (SQLSTATE 40001) or a deadlock (40P01); the store then
runs the whole operation again (`SQLStore` retries, this module classifies).
"""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from auth.store.sql import SQLStore

SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
RETRYABLE_SQLSTATES = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})
DRIVER = "postgresql+psycopg"


def postgres_url(url: str) -> str:
    """`url` with the psycopg 3 driver, whatever postgres spelling it used."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError("not a PostgreSQL URL")
    return parsed.set(drivername=DRIVER).render_as_string(hide_password=False)


def postgres_engine(url: str) -> Engine:
    """An engine for `url`: psycopg 3, stale pooled connections replaced, SERIALIZABLE writes."""
    engine = create_engine(
        postgres_url(url),
        pool_pre_ping=True,  # a server restart or idle timeout must not fail the next request
        pool_size=5,
        max_overflow=10,
        connect_args={"connect_timeout": 10},
    )

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if connection.get_execution_options().get("write", False):
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")

    return engine


def is_retryable(exc: BaseException) -> bool:
    """A serialization failure or deadlock: the transaction was rolled back and may run again."""
    return isinstance(exc, DBAPIError) and (
        getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
    )


def postgres_store(url: str) -> SQLStore:
    """The SQL store on PostgreSQL, retrying operations that lost a serialization conflict."""
    return SQLStore(postgres_engine(url), retryable=is_retryable)
