"""The store interface: every backend implements `Store`, and nothing else touches data.

Records are immutable snapshots. Methods that change data are atomic: each runs
in one transaction, and the business rules that need atomicity (lockout
counters, "keep at least one active admin", single-use tickets) are enforced
inside that transaction rather than by check-then-act in the caller.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

ADMIN_ROLE = "admin"

# Fields of a user that `Store.update_user` may change. Counters, timestamps and
# ids change only through their own methods.
EDITABLE_USER_FIELDS = frozenset(
    {
        "email",
        "first_name",
        "last_name",
        "roles",
        "password_hash",
        "disabled",
        "must_change_password",
    }
)


class StoreError(Exception):
    """Base class of the errors a store raises for bad requests (not for outages)."""


class DuplicateUser(StoreError):
    """The username or email is already taken (compared case-insensitively)."""

    def __init__(self, field: str):
        super().__init__(f"{field} is already taken")
        self.field = field


class UserNotFound(StoreError):
    """No user with that id."""


class LastAdminError(StoreError):
    """The change would leave the app without an active admin."""

    def __init__(self) -> None:
        super().__init__("the last active admin cannot be removed, disabled or demoted")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    password_hash: str | None
    disabled: bool
    must_change_password: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def status(self, now: datetime) -> str:
        if self.disabled:
            return "disabled"
        if self.is_locked(now):
            return "locked"
        return "active"


@dataclass(frozen=True)
class Session:
    """A server-side sign-in. `id` is the SHA-256 of the token kept in the cookie."""

    id: str
    user_id: int
    method: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    user_agent: str = ""
    ip: str = ""


@dataclass(frozen=True)
class Ticket:
    """A one-time, short-lived hand-over from the sign-in page to the cookie route."""

    id: str  # SHA-256 of the ticket sent in the URL
    user_id: int
    method: str
    origin: str
    expires_at: datetime
    user_agent: str = ""
    ip: str = ""


class Store(abc.ABC):
    """What the app, the routes and manage.py need from storage."""

    # --- schema ---------------------------------------------------------------
    @abc.abstractmethod
    def create_schema(self) -> None:
        """Create tables if missing (idempotent)."""

    # --- users ----------------------------------------------------------------
    @abc.abstractmethod
    def create_user(
        self,
        *,
        username: str,
        email: str,
        password_hash: str | None,
        roles: tuple[str, ...],
        now: datetime,
        first_name: str = "",
        last_name: str = "",
        must_change_password: bool = False,
    ) -> User:
        """Insert a user; raises DuplicateUser."""

    @abc.abstractmethod
    def get_user(self, user_id: int) -> User | None: ...

    @abc.abstractmethod
    def find_user(self, login: str) -> User | None:
        """The user whose username or email equals `login`, ignoring case."""

    @abc.abstractmethod
    def list_users(self, *, offset: int = 0, limit: int = 50) -> list[User]:
        """One page of users, sorted by username."""

    @abc.abstractmethod
    def count_users(self) -> int: ...

    @abc.abstractmethod
    def count_active_admins(self) -> int: ...

    @abc.abstractmethod
    def update_user(self, user_id: int, *, keep_an_admin: bool = True, **changes: object) -> User:
        """Change EDITABLE_USER_FIELDS. Raises UserNotFound, DuplicateUser, LastAdminError."""

    @abc.abstractmethod
    def delete_user(self, user_id: int, *, keep_an_admin: bool = True) -> None:
        """Delete a user with their sessions. Raises UserNotFound, LastAdminError."""

    # --- sign-in counters -----------------------------------------------------
    @abc.abstractmethod
    def record_login_failure(
        self, user_id: int, *, now: datetime, max_attempts: int, lockout_until: datetime
    ) -> User:
        """Count a failure; at `max_attempts`, lock until `lockout_until` and restart the count."""

    @abc.abstractmethod
    def record_login_success(self, user_id: int, *, now: datetime) -> None:
        """Reset the failure count and lock, and remember the time of sign-in."""

    # --- tickets --------------------------------------------------------------
    @abc.abstractmethod
    def add_ticket(self, ticket: Ticket) -> None: ...

    @abc.abstractmethod
    def redeem_ticket(self, ticket_id: str, *, now: datetime) -> Ticket | None:
        """Delete the ticket and return it if it had not expired; None otherwise. Once only."""

    # --- sessions -------------------------------------------------------------
    @abc.abstractmethod
    def add_session(self, session: Session) -> None: ...

    @abc.abstractmethod
    def get_session(self, session_id: str) -> Session | None: ...

    @abc.abstractmethod
    def touch_session(self, session_id: str, *, now: datetime) -> None: ...

    @abc.abstractmethod
    def revoke_session(self, session_id: str, *, now: datetime) -> None: ...

    @abc.abstractmethod
    def revoke_user_sessions(self, user_id: int, *, now: datetime, keep: str | None = None) -> int:
        """Revoke every live session of a user except `keep`; returns how many."""

    @abc.abstractmethod
    def list_sessions(self, user_id: int, *, now: datetime) -> list[Session]:
        """The user's sessions that are neither revoked nor past their absolute expiry."""

    @abc.abstractmethod
    def count_signed_in_users(self, *, now: datetime, seen_since: datetime) -> int:
        """Distinct users with a live session used since `seen_since`."""

    @abc.abstractmethod
    def purge_expired(self, *, now: datetime) -> int:
        """Delete expired tickets and sessions that ended; returns how many rows went."""
