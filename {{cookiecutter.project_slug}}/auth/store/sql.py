"""SQL backend (SQLAlchemy Core). SQLite specifics live in `sqlite_engine` only.

Uniqueness is enforced by the database on case-folded copies of username and
email (`*_key` columns), so two concurrent registrations of one name cannot
both succeed. Every read-then-write runs in one transaction that SQLite opens
with BEGIN IMMEDIATE: a deferred BEGIN would fail with "database is locked"
when two writers upgrade their read locks at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from auth.store.base import (
    ADMIN_ROLE,
    EDITABLE_USER_FIELDS,
    DuplicateUser,
    LastAdminError,
    Session,
    Store,
    Ticket,
    User,
    UserNotFound,
)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: the same on every dialect."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("first_name", String(100), nullable=False, default=""),
    Column("last_name", String(100), nullable=False, default=""),
    Column("password_hash", String(255)),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(32), primary_key=True, index=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("method", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("user_agent", String(512), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("method", String(32), nullable=False),
    Column("origin", String(255), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("user_agent", String(512), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
)


def sqlite_engine(path: Path) -> Engine:
    """An engine for a SQLite file: WAL, foreign keys, a 10 s busy timeout, our own BEGIN."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 10})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _key(value: str) -> str:
    return value.casefold()


class SQLStore(Store):
    def __init__(self, engine: Engine):
        self.engine = engine

    # --- plumbing -------------------------------------------------------------
    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

    def _user(self, conn: Connection, row: Row | None) -> User | None:
        if row is None:
            return None
        roles = conn.execute(
            select(user_roles.c.role).where(user_roles.c.user_id == row.id).order_by("role")
        ).scalars()
        return _to_user(row, tuple(roles))

    def _get(self, conn: Connection, user_id: int) -> User | None:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return self._user(conn, row)

    @staticmethod
    def _set_roles(conn: Connection, user_id: int, roles: tuple[str, ...]) -> None:
        conn.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
        if roles:
            conn.execute(insert(user_roles), [{"user_id": user_id, "role": r} for r in set(roles)])

    @staticmethod
    def _active_admins(conn: Connection) -> int:
        query = (
            select(func.count())
            .select_from(users.join(user_roles, users.c.id == user_roles.c.user_id))
            .where(user_roles.c.role == ADMIN_ROLE, users.c.disabled.is_(False))
        )
        return conn.execute(query).scalar_one()

    # --- users ----------------------------------------------------------------
    def create_user(
        self,
        *,
        username,
        email,
        password_hash,
        roles,
        now,
        first_name="",
        last_name="",
        must_change_password=False,
    ) -> User:
        values = {
            "username": username,
            "username_key": _key(username),
            "email": email,
            "email_key": _key(email),
            "first_name": first_name,
            "last_name": last_name,
            "password_hash": password_hash,
            "disabled": False,
            "must_change_password": must_change_password,
            "failed_logins": 0,
            "created_at": now,
        }
        try:
            with self._write() as conn:
                _raise_if_taken(conn, username=username, email=email)
                user_id = conn.execute(insert(users).values(**values)).inserted_primary_key[0]
                self._set_roles(conn, user_id, tuple(roles))
                return self._get(conn, user_id)
        except IntegrityError as exc:  # a concurrent writer won the race
            raise DuplicateUser(_duplicate_field(exc)) from exc

    def get_user(self, user_id: int) -> User | None:
        with self._read() as conn:
            return self._get(conn, user_id)

    def find_user(self, login: str) -> User | None:
        key = _key(login)
        with self._read() as conn:
            # Usernames cannot contain "@", so at most one row matches.
            row = conn.execute(
                select(users).where((users.c.username_key == key) | (users.c.email_key == key))
            ).first()
            return self._user(conn, row)

    def list_users(self, *, offset: int = 0, limit: int = 50) -> list[User]:
        with self._read() as conn:
            rows = conn.execute(
                select(users).order_by(users.c.username_key).offset(offset).limit(limit)
            ).all()
            role_rows = conn.execute(
                select(user_roles).where(user_roles.c.user_id.in_([r.id for r in rows]))
            ).all()
        roles: dict[int, list[str]] = {}
        for role_row in role_rows:
            roles.setdefault(role_row.user_id, []).append(role_row.role)
        return [_to_user(r, tuple(sorted(roles.get(r.id, [])))) for r in rows]

    def count_users(self) -> int:
        with self._read() as conn:
            return conn.execute(select(func.count()).select_from(users)).scalar_one()

    def count_active_admins(self) -> int:
        with self._read() as conn:
            return self._active_admins(conn)

    def update_user(self, user_id: int, *, keep_an_admin: bool = True, **changes) -> User:
        unknown = set(changes) - EDITABLE_USER_FIELDS
        if unknown:
            raise TypeError(f"cannot update {', '.join(sorted(unknown))}")
        values = dict(changes)
        roles = values.pop("roles", None)
        if "email" in values:
            values["email_key"] = _key(values["email"])
        try:
            with self._write() as conn:
                before = self._get(conn, user_id)
                if before is None:
                    raise UserNotFound(user_id)
                if "email" in values:
                    _raise_if_taken(conn, email=values["email"], except_id=user_id)
                if values:
                    conn.execute(update(users).where(users.c.id == user_id).values(**values))
                if roles is not None:
                    self._set_roles(conn, user_id, tuple(roles))
                if keep_an_admin and _active_admin(before) and self._active_admins(conn) == 0:
                    raise LastAdminError()  # leaving the block rolls the change back
                return self._get(conn, user_id)
        except IntegrityError as exc:
            raise DuplicateUser(_duplicate_field(exc)) from exc

    def delete_user(self, user_id: int, *, keep_an_admin: bool = True) -> None:
        with self._write() as conn:
            before = self._get(conn, user_id)
            if before is None:
                raise UserNotFound(user_id)
            conn.execute(delete(users).where(users.c.id == user_id))
            if keep_an_admin and _active_admin(before) and self._active_admins(conn) == 0:
                raise LastAdminError()

    # --- sign-in counters -----------------------------------------------------
    def record_login_failure(self, user_id, *, now, max_attempts, lockout_until) -> User:
        with self._write() as conn:
            # One UPDATE increments atomically; a second one turns the count into a lock.
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(failed_logins=users.c.failed_logins + 1)
            )
            conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.failed_logins >= max_attempts)
                .values(failed_logins=0, locked_until=lockout_until)
            )
            user = self._get(conn, user_id)
            if user is None:
                raise UserNotFound(user_id)
            return user

    def record_login_success(self, user_id, *, now) -> None:
        with self._write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(failed_logins=0, locked_until=None, last_login_at=now)
            )

    # --- tickets --------------------------------------------------------------
    def add_ticket(self, ticket: Ticket) -> None:
        with self._write() as conn:
            conn.execute(insert(tickets).values(**ticket.__dict__))

    def redeem_ticket(self, ticket_id: str, *, now: datetime) -> Ticket | None:
        with self._write() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
            if row is None:
                return None
            conn.execute(delete(tickets).where(tickets.c.id == ticket_id))
        ticket = Ticket(**row._asdict())
        return ticket if ticket.expires_at > now else None

    # --- sessions -------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        with self._write() as conn:
            conn.execute(insert(sessions).values(**session.__dict__))

    def get_session(self, session_id: str) -> Session | None:
        with self._read() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        return Session(**row._asdict()) if row else None

    def touch_session(self, session_id: str, *, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now)
            )

    def revoke_session(self, session_id: str, *, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def revoke_user_sessions(self, user_id: int, *, now: datetime, keep: str | None = None) -> int:
        query = update(sessions).where(
            sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)
        )
        if keep is not None:
            query = query.where(sessions.c.id != keep)
        with self._write() as conn:
            return conn.execute(query.values(revoked_at=now)).rowcount

    def list_sessions(self, user_id: int, *, now: datetime) -> list[Session]:
        with self._read() as conn:
            rows = conn.execute(
                select(sessions)
                .where(
                    sessions.c.user_id == user_id,
                    sessions.c.revoked_at.is_(None),
                    sessions.c.expires_at > now,
                )
                .order_by(sessions.c.created_at.desc())
            ).all()
        return [Session(**r._asdict()) for r in rows]

    def count_signed_in_users(self, *, now: datetime, seen_since: datetime) -> int:
        with self._read() as conn:
            return conn.execute(
                select(func.count(sessions.c.user_id.distinct())).where(
                    sessions.c.revoked_at.is_(None),
                    sessions.c.expires_at > now,
                    sessions.c.last_seen_at >= seen_since,
                )
            ).scalar_one()

    def purge_expired(self, *, now: datetime) -> int:
        with self._write() as conn:
            gone = conn.execute(delete(tickets).where(tickets.c.expires_at <= now)).rowcount
            gone += conn.execute(
                delete(sessions).where(
                    (sessions.c.expires_at <= now) | sessions.c.revoked_at.is_not(None)
                )
            ).rowcount
        return gone


def _active_admin(user: User) -> bool:
    return user.is_admin and not user.disabled


def _to_user(row: Row, roles: tuple[str, ...]) -> User:
    return User(
        id=row.id,
        username=row.username,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        roles=roles,
        password_hash=row.password_hash,
        disabled=bool(row.disabled),
        must_change_password=bool(row.must_change_password),
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def _raise_if_taken(
    conn: Connection, *, username: str | None = None, email: str | None = None, except_id=None
) -> None:
    """Say which field clashes; the unique indexes remain the real guarantee."""
    for field, column, value in (
        ("username", users.c.username_key, username),
        ("email", users.c.email_key, email),
    ):
        if value is None:
            continue
        query = select(users.c.id).where(column == _key(value))
        if except_id is not None:
            query = query.where(users.c.id != except_id)
        if conn.execute(query).first() is not None:
            raise DuplicateUser(field)


def _duplicate_field(exc: IntegrityError) -> str:
    return "email" if "email" in str(exc.orig) else "username"
