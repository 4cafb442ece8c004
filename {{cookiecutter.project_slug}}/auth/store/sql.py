"""SQL backend (SQLAlchemy Core). SQLite specifics live in `sqlite_engine` only.

Uniqueness is enforced by the database on case-folded copies of username and
email (`*_key` columns), so two concurrent registrations of one name cannot
both succeed. Every read-then-write runs in one transaction that SQLite opens
with BEGIN IMMEDIATE: a deferred BEGIN would fail with "database is locked"
when two writers upgrade their read locks at once.
"""

from __future__ import annotations

import contextlib
import functools
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
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
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import ColumnElement

from auth.store.errors import (
    DuplicateIdentity,
    DuplicateUser,
    InvitationError,
    LastAdminError,
    UserNotFound,
)
from auth.store.protocols import Store
from auth.store.records import (
    ADMIN_ROLE,
    LOCAL,
    AuditDayCount,
    AuditEvent,
    AuditQuery,
    Invitation,
    NewUser,
    Session,
    Ticket,
    Token,
    User,
    UserChanges,
    UserQuery,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on every dialect."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    # NULL for an empty email (a guest whose provider shares none): NULLs never clash.
    Column("email_key", String(254), unique=True),
    Column("first_name", String(100), nullable=False, default=""),
    Column("last_name", String(100), nullable=False, default=""),
    Column("password_hash", String(255)),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
    Column("email_verified", Boolean, nullable=False, default=True),
    Column("auth_source", String(32), nullable=False, default=LOCAL),
    Index("ix_users_name", "last_name", "first_name"),
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

identities = Table(
    "identities",
    metadata,
    Column("provider", String(64), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
)

invitations = Table(
    "invitations",
    metadata,
    Column("email_key", String(254), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("invited_by", String(64), nullable=False, default=""),
    Column("used_at", UTCDateTime),
    Column("used_by", String(64), nullable=False, default=""),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("purpose", String(32), nullable=False),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("email", String(254), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("window_start", UTCDateTime, primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("count", Integer, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("event", String(64), nullable=False, index=True),
    Column("outcome", String(16), nullable=False),
    Column("actor", String(254), nullable=False, default=""),
    Column("target", String(254), nullable=False, default=""),
    Column("method", String(64), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
    Column("detail", String(1000), nullable=False, default=""),
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


WAL_SWITCH_SECONDS = 10.0


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL once. The switch needs the file to itself and SQLite
    may answer "database is locked" at once, without its busy timeout, when other
    processes open a new file at the same moment: so wait and try again."""
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def sqlite_engine(path: Path) -> Engine:
    """An engine for a SQLite file: WAL, foreign keys, a 10 s busy timeout, our own BEGIN."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 10})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _key(value: str) -> str:
    return value.casefold()


def _email_key(email: str) -> str | None:
    return email.casefold() or None


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


T = TypeVar("T")
P = ParamSpec("P")

# How long one operation keeps retrying lost serialization conflicts before the error is raised.
RETRY_SECONDS = 30.0


def _never(_exc: BaseException) -> bool:
    return False


def retried(
    operation: Callable[Concatenate[SQLStore, P], T],
) -> Callable[Concatenate[SQLStore, P], T]:
    """Run a write again, after a short random pause, when its transaction lost a conflict.

    Declared on every method that writes (PostgreSQL runs writes SERIALIZABLE; reads
    run READ COMMITTED and never lose one). Each such method is one transaction, so
    running it again from the start is safe: the failed attempt was rolled back whole.
    """

    @functools.wraps(operation)
    def run(self: SQLStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        deadline = time.monotonic() + RETRY_SECONDS
        attempt = 0
        while True:
            try:
                return operation(self, *args, **kwargs)
            except Exception as exc:
                if not self.retryable(exc) or time.monotonic() >= deadline:
                    raise
            attempt = min(attempt + 1, 7)
            # Random jitter, at most 0.128 s, spreads the retries of colliding processes.
            time.sleep(random.uniform(0, 0.001 * 2**attempt))  # noqa: S311 - not a secret

    return run


class SQLStore(Store):
    def __init__(
        self, engine: Engine, *, retryable: Callable[[BaseException], bool] = _never
    ) -> None:
        self.engine = engine
        # Which errors mean "rolled back, run it again" (postgres.is_retryable); none on SQLite,
        # where BEGIN IMMEDIATE makes writers wait their turn instead.
        self.retryable = retryable

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
        """Apply the Alembic migrations up to the newest (see auth/store/migrate.py)."""
        from auth.store.migrate import upgrade

        upgrade(self.engine)

    def _user(self, conn: Connection, row: Row[Any] | None) -> User | None:
        if row is None:
            return None
        roles = conn.execute(
            select(user_roles.c.role).where(user_roles.c.user_id == row.id).order_by("role")
        ).scalars()
        return _to_user(row, tuple(roles))

    def _get(self, conn: Connection, user_id: int) -> User | None:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return self._user(conn, row)

    def _get_existing(self, conn: Connection, user_id: int) -> User:
        user = self._get(conn, user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

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
    @retried
    def create_user(self, new: NewUser, *, now: datetime) -> User:
        values = {
            "username": new.username,
            "username_key": _key(new.username),
            "email": new.email,
            "email_key": _email_key(new.email),
            "first_name": new.first_name,
            "last_name": new.last_name,
            "password_hash": new.password_hash,
            "disabled": False,
            "must_change_password": new.must_change_password,
            "failed_logins": 0,
            "created_at": now,
            "email_verified": new.email_verified,
            "auth_source": new.auth_source,
        }
        try:
            with self._write() as conn:
                _raise_if_taken(conn, username=new.username, email=new.email)
                if new.identity is not None and _identity_owner(conn, *new.identity) is not None:
                    raise DuplicateIdentity(new.identity[0])
                if new.invitation is not None:
                    _use_invitation(conn, new.invitation, now=now, username=new.username)
                user_id = conn.execute(insert(users).values(**values)).inserted_primary_key[0]  # type: ignore[index]
                self._set_roles(conn, user_id, tuple(new.roles))
                if new.identity is not None:
                    provider, subject = new.identity
                    conn.execute(
                        insert(identities).values(
                            provider=provider, subject=subject, user_id=user_id
                        )
                    )
                return self._get_existing(conn, user_id)
        except IntegrityError as exc:  # a concurrent writer won the race
            raise _duplicate(exc) from exc

    def get_user(self, user_id: int) -> User | None:
        with self._read() as conn:
            return self._get(conn, user_id)

    def find_user(self, login: str) -> User | None:
        key = _key(login)
        if not key:
            return None
        with self._read() as conn:
            # Usernames cannot contain "@", so at most one row matches.
            row = conn.execute(
                select(users).where((users.c.username_key == key) | (users.c.email_key == key))
            ).first()
            return self._user(conn, row)

    def find_user_by_identity(self, provider: str, subject: str) -> User | None:
        with self._read() as conn:
            user_id = _identity_owner(conn, provider, subject)
            return self._get(conn, user_id) if user_id is not None else None

    @retried
    def link_identity(self, user_id: int, provider: str, subject: str) -> None:
        try:
            with self._write() as conn:
                if self._get(conn, user_id) is None:
                    raise UserNotFound(user_id)
                if _identity_owner(conn, provider, subject) is not None:
                    raise DuplicateIdentity(provider)
                conn.execute(
                    insert(identities).values(provider=provider, subject=subject, user_id=user_id)
                )
        except IntegrityError as exc:
            raise DuplicateIdentity(provider) from exc

    def list_users(
        self, query: UserQuery | None = None, *, offset: int = 0, limit: int = 50
    ) -> list[User]:
        query = query or UserQuery()
        order: list[ColumnElement[Any]] = [*_SORT_COLUMNS[query.sort], users.c.id]
        if query.descending:
            order = [column.desc() for column in order]
        statement = (
            select(users).where(*_user_filters(query)).order_by(*order).offset(offset).limit(limit)
        )
        with self._read() as conn:
            rows = conn.execute(statement).all()
            role_rows = conn.execute(
                select(user_roles).where(user_roles.c.user_id.in_([r.id for r in rows]))
            ).all()
        roles: dict[int, list[str]] = {}
        for role_row in role_rows:
            roles.setdefault(role_row.user_id, []).append(role_row.role)
        return [_to_user(r, tuple(sorted(roles.get(r.id, [])))) for r in rows]

    def count_users(self, query: UserQuery | None = None) -> int:
        statement = select(func.count()).select_from(users)
        if query is not None:
            statement = statement.where(*_user_filters(query))
        with self._read() as conn:
            return conn.execute(statement).scalar_one()

    def count_active_admins(self) -> int:
        with self._read() as conn:
            return self._active_admins(conn)

    @retried
    def update_user(
        self, user_id: int, changes: UserChanges, *, keep_an_admin: bool = True
    ) -> User:
        values = changes.values()
        roles = values.pop("roles", None)
        if "email" in values:
            values["email_key"] = _email_key(changes.email or "")
        try:
            with self._write() as conn:
                before = self._get(conn, user_id)
                if before is None:
                    raise UserNotFound(user_id)
                if changes.email is not None:
                    _raise_if_taken(conn, email=changes.email, except_id=user_id)
                if values:
                    conn.execute(update(users).where(users.c.id == user_id).values(**values))
                if roles is not None:
                    self._set_roles(conn, user_id, tuple(roles))  # type: ignore[arg-type]
                if keep_an_admin and _active_admin(before) and self._active_admins(conn) == 0:
                    raise LastAdminError()  # leaving the block rolls the change back
                return self._get_existing(conn, user_id)
        except IntegrityError as exc:
            raise _duplicate(exc) from exc

    @retried
    def delete_user(self, user_id: int, *, keep_an_admin: bool = True) -> None:
        with self._write() as conn:
            before = self._get(conn, user_id)
            if before is None:
                raise UserNotFound(user_id)
            conn.execute(delete(users).where(users.c.id == user_id))
            if keep_an_admin and _active_admin(before) and self._active_admins(conn) == 0:
                raise LastAdminError()

    # --- sign-in counters -----------------------------------------------------
    @retried
    def record_login_failure(
        self, user_id: int, *, now: datetime, max_attempts: int, lockout_until: datetime
    ) -> User:
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

    @retried
    def record_login_success(self, user_id: int, *, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(failed_logins=0, locked_until=None, last_login_at=now)
            )

    @retried
    def unlock_user(self, user_id: int) -> User:
        with self._write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(failed_logins=0, locked_until=None)
            )
            user = self._get(conn, user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    @retried
    def hit_counter(self, key: str, *, now: datetime, window: timedelta) -> int:
        seconds = int(window.total_seconds())
        if seconds < 1:
            raise ValueError("the window must be at least one second")
        elapsed = int((now - _EPOCH).total_seconds())
        start = _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)
        with self._write() as conn:
            # One INSERT ... ON CONFLICT DO UPDATE: atomic on SQLite and PostgreSQL alike.
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(counters).values(
                key=key, window_start=start, expires_at=start + window, count=1
            )
            statement = statement.on_conflict_do_update(
                index_elements=[counters.c.key, counters.c.window_start],
                set_={"count": counters.c.count + 1},
            ).returning(counters.c.count)
            return int(conn.execute(statement).scalar_one())

    # --- invitations ----------------------------------------------------------
    @retried
    def add_invitations(
        self,
        emails: Iterable[str],
        *,
        now: datetime,
        expires_at: datetime | None = None,
        invited_by: str = "",
    ) -> list[str]:
        added: list[str] = []
        with self._write() as conn:
            for email in dict.fromkeys(emails):  # keeps order, drops repeats
                key = _key(email)
                if not key or key in {_key(e) for e in added}:
                    continue
                row = conn.execute(
                    select(invitations).where(invitations.c.email_key == key)
                ).first()
                if row is None:
                    conn.execute(
                        insert(invitations).values(
                            email_key=key,
                            email=email,
                            created_at=now,
                            expires_at=expires_at,
                            invited_by=invited_by,
                            used_by="",
                        )
                    )
                    added.append(email)
                elif row.used_at is None:
                    conn.execute(
                        update(invitations)
                        .where(invitations.c.email_key == key)
                        .values(expires_at=expires_at)
                    )
        return added

    def get_invitation(self, email: str) -> Invitation | None:
        with self._read() as conn:
            row = conn.execute(
                select(invitations).where(invitations.c.email_key == _key(email))
            ).first()
        return _to_invitation(row) if row else None

    def list_invitations(self) -> list[Invitation]:
        with self._read() as conn:
            rows = conn.execute(select(invitations).order_by(invitations.c.email_key)).all()
        return [_to_invitation(r) for r in rows]

    @retried
    def remove_invitation(self, email: str) -> bool:
        with self._write() as conn:
            gone = conn.execute(delete(invitations).where(invitations.c.email_key == _key(email)))
            return gone.rowcount > 0

    # --- emailed tokens ---------------------------------------------------------
    @retried
    def add_token(self, token: Token) -> None:
        with self._write() as conn:
            conn.execute(insert(tokens).values(**token.__dict__))

    @retried
    def redeem_token(self, token_id: str, *, purpose: str, now: datetime) -> Token | None:
        with self._write() as conn:
            where = (tokens.c.id == token_id, tokens.c.purpose == purpose)
            row = conn.execute(select(tokens).where(*where)).first()
            if row is None:
                return None
            conn.execute(delete(tokens).where(*where))
        token = Token(**row._asdict())
        return token if token.expires_at > now else None

    @retried
    def delete_tokens(self, user_id: int, purpose: str | None = None) -> int:
        statement = delete(tokens).where(tokens.c.user_id == user_id)
        if purpose is not None:
            statement = statement.where(tokens.c.purpose == purpose)
        with self._write() as conn:
            return conn.execute(statement).rowcount

    # --- audit log --------------------------------------------------------------
    @retried
    def add_audit(self, event: AuditEvent) -> None:
        values = {k: v for k, v in event.__dict__.items() if k != "id"}
        with self._write() as conn:
            conn.execute(insert(audit_log).values(**values))

    def list_audit(
        self, query: AuditQuery | None = None, *, offset: int = 0, limit: int = 100
    ) -> list[AuditEvent]:
        statement = (
            select(audit_log)
            .where(*_audit_filters(query or AuditQuery()))
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        with self._read() as conn:
            return [AuditEvent(**row._asdict()) for row in conn.execute(statement)]

    def count_audit(self, query: AuditQuery | None = None) -> int:
        statement = select(func.count()).select_from(audit_log)
        statement = statement.where(*_audit_filters(query or AuditQuery()))
        with self._read() as conn:
            return conn.execute(statement).scalar_one()

    def audit_per_day(self, query: AuditQuery | None = None) -> list[AuditDayCount]:
        day = func.date(audit_log.c.at)  # stored as naive UTC, so this is the UTC day
        group = (day, audit_log.c.event, audit_log.c.method, audit_log.c.outcome)
        statement = (
            select(*group, func.count(), func.count(audit_log.c.target.distinct()))
            .where(*_audit_filters(query or AuditQuery()))
            .group_by(*group)
            .order_by(*group)
        )
        with self._read() as conn:
            rows = conn.execute(statement).all()
        return [
            AuditDayCount(
                day=d if isinstance(d, date) else date.fromisoformat(d),
                event=e,
                method=m,
                outcome=o,
                count=n,
                distinct_targets=t,
            )
            for d, e, m, o, n, t in rows
        ]

    @retried
    def prune_audit(self, *, before: datetime) -> int:
        with self._write() as conn:
            return conn.execute(delete(audit_log).where(audit_log.c.at < before)).rowcount

    # --- tickets --------------------------------------------------------------
    @retried
    def add_ticket(self, ticket: Ticket) -> None:
        with self._write() as conn:
            conn.execute(insert(tickets).values(**ticket.__dict__))

    @retried
    def redeem_ticket(self, ticket_id: str, *, now: datetime) -> Ticket | None:
        with self._write() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
            if row is None:
                return None
            conn.execute(delete(tickets).where(tickets.c.id == ticket_id))
        ticket = Ticket(**row._asdict())
        return ticket if ticket.expires_at > now else None

    # --- sessions -------------------------------------------------------------
    @retried
    def add_session(self, session: Session) -> None:
        with self._write() as conn:
            conn.execute(insert(sessions).values(**session.__dict__))

    def get_session(self, session_id: str) -> Session | None:
        with self._read() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id == session_id)).first()
        return Session(**row._asdict()) if row else None

    def load_session(self, session_id: str) -> tuple[Session, User] | None:
        # One statement: the session, its user and one row per role (or one row with
        # NULL when the user has none). It runs on every script run of a signed-in user.
        statement = (
            select(
                *(c.label(f"s_{c.name}") for c in sessions.c),
                users,
                user_roles.c.role,
            )
            .select_from(
                sessions.join(users, users.c.id == sessions.c.user_id).outerjoin(
                    user_roles, user_roles.c.user_id == users.c.id
                )
            )
            .where(sessions.c.id == session_id)
            .order_by(user_roles.c.role)
        )
        with self._read() as conn:
            rows = conn.execute(statement).all()
        if not rows:
            return None
        first = rows[0]._mapping
        session = Session(**{c.name: first[f"s_{c.name}"] for c in sessions.c})
        roles = tuple(row.role for row in rows if row.role is not None)
        return session, _to_user(rows[0], roles)

    @retried
    def touch_session(self, session_id: str, *, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now)
            )

    @retried
    def revoke_session(self, session_id: str, *, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    @retried
    def revoke_user_sessions(self, user_id: int, *, now: datetime, keep: str | None = None) -> int:
        query = update(sessions).where(
            sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)
        )
        if keep is not None:
            query = query.where(sessions.c.id != keep)
        with self._write() as conn:
            conn.execute(delete(tickets).where(tickets.c.user_id == user_id))
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

    @retried
    def purge_expired(self, *, now: datetime) -> int:
        with self._write() as conn:
            gone = conn.execute(delete(tickets).where(tickets.c.expires_at <= now)).rowcount
            gone += conn.execute(delete(tokens).where(tokens.c.expires_at <= now)).rowcount
            gone += conn.execute(delete(counters).where(counters.c.expires_at <= now)).rowcount
            gone += conn.execute(
                delete(sessions).where(
                    (sessions.c.expires_at <= now) | sessions.c.revoked_at.is_not(None)
                )
            ).rowcount
        return gone


def _active_admin(user: User) -> bool:
    return user.is_admin and not user.disabled


def _to_user(row: Row[Any], roles: tuple[str, ...]) -> User:
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
        email_verified=bool(row.email_verified),
        auth_source=row.auth_source,
    )


def _to_invitation(row: Row[Any]) -> Invitation:
    values = row._asdict()
    del values["email_key"]
    return Invitation(**values)


_SORT_COLUMNS = {
    "username": (users.c.username_key,),
    "email": (users.c.email_key,),
    "name": (users.c.last_name, users.c.first_name),
    "created_at": (users.c.created_at,),
    "last_login_at": (users.c.last_login_at,),
}


def _user_filters(query: UserQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    text = query.search.strip().casefold()
    if text:
        pattern = _like(text)
        where.append(
            or_(
                *(
                    column.like(pattern, escape="\\")
                    for column in (
                        users.c.username_key,
                        users.c.email_key,
                        func.lower(users.c.first_name),
                        func.lower(users.c.last_name),
                    )
                )
            )
        )
    if query.role is not None:
        where.append(
            users.c.id.in_(select(user_roles.c.user_id).where(user_roles.c.role == query.role))
        )
    if query.status == "disabled":
        where.append(users.c.disabled.is_(True))
    elif query.status == "locked":
        where.extend([users.c.disabled.is_(False), users.c.locked_until > query.now])
    elif query.status == "active":
        not_locked = users.c.locked_until.is_(None) | (users.c.locked_until <= query.now)
        where.extend([users.c.disabled.is_(False), not_locked])
    elif query.status == "guest":
        where.append(users.c.auth_source != LOCAL)
    return where


def _audit_filters(query: AuditQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.since is not None:
        where.append(audit_log.c.at >= query.since)
    if query.until is not None:
        where.append(audit_log.c.at < query.until)
    if query.actor:
        where.append(func.lower(audit_log.c.actor) == query.actor.lower())
    if query.target:
        where.append(func.lower(audit_log.c.target) == query.target.lower())
    if query.event:
        where.append(audit_log.c.event == query.event)
    if query.outcome:
        where.append(audit_log.c.outcome == query.outcome)
    return where


def _identity_owner(conn: Connection, provider: str, subject: str) -> int | None:
    return conn.execute(
        select(identities.c.user_id).where(
            identities.c.provider == provider, identities.c.subject == subject
        )
    ).scalar_one_or_none()


def _use_invitation(conn: Connection, email: str, *, now: datetime, username: str) -> None:
    """Mark the invitation used, or raise InvitationError; inside the caller's transaction."""
    used = conn.execute(
        update(invitations)
        .where(
            invitations.c.email_key == _key(email),
            invitations.c.used_at.is_(None),
            invitations.c.expires_at.is_(None) | (invitations.c.expires_at > now),
        )
        .values(used_at=now, used_by=username)
    )
    if used.rowcount != 1:
        raise InvitationError(email)


def _raise_if_taken(
    conn: Connection,
    *,
    username: str | None = None,
    email: str | None = None,
    except_id: int | None = None,
) -> None:
    """Say which field clashes; the unique indexes remain the real guarantee."""
    for field, column, value in (
        ("username", users.c.username_key, username),
        ("email", users.c.email_key, email),
    ):
        if value is None:
            continue
        if not value:
            continue  # empty emails never clash
        query = select(users.c.id).where(column == _key(value))
        if except_id is not None:
            query = query.where(users.c.id != except_id)
        if conn.execute(query).first() is not None:
            raise DuplicateUser(field)


def _duplicate(exc: IntegrityError) -> Exception:
    """Our error for a unique-constraint violation by a concurrent writer."""
    message = str(exc.orig)
    if "identities" in message:
        return DuplicateIdentity("identity")
    return DuplicateUser("email" if "email" in message else "username")
