"""The store interface: every backend implements `Store`, and nothing else touches data.

Records are immutable snapshots. Methods that change data are atomic: each runs
in one transaction, and the business rules that need atomicity (lockout
counters, "keep at least one active admin", single-use tickets) are enforced
inside that transaction rather than by check-then-act in the caller.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

ADMIN_ROLE = "admin"
LOCAL = "local"  # `User.auth_source` of users who sign in with a password

# What `UserQuery` may sort and filter by.
USER_SORT_KEYS = ("username", "email", "name", "created_at", "last_login_at")
USER_STATUSES = ("active", "disabled", "locked", "guest")

# Purposes of emailed one-time tokens (`Token.purpose`).
TOKEN_PURPOSES = ("reset_password", "verify_email", "change_email")

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
        "email_verified",
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


class DuplicateIdentity(StoreError):
    """That (provider, subject) is already linked to a user."""


class InvitationError(StoreError):
    """No usable invitation (pre-authorized email) for that address: none, used or expired."""


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
    email_verified: bool = True
    # LOCAL for password users; the provider name ("google", ...) for guests
    # provisioned by OpenID Connect.
    auth_source: str = LOCAL

    @property
    def is_guest(self) -> bool:
        return self.auth_source != LOCAL

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


@dataclass(frozen=True)
class UserQuery:
    """Search, filter and sort for `Store.list_users` / `Store.count_users`."""

    search: str = ""  # substring of username, email, first or last name, ignoring case
    role: str | None = None
    status: str | None = None  # one of USER_STATUSES; "active"/"locked" need `now`
    sort: str = "username"  # one of USER_SORT_KEYS; "name" is last name, then first name
    descending: bool = False
    now: datetime | None = None

    def __post_init__(self) -> None:
        if self.sort not in USER_SORT_KEYS:
            raise ValueError(f"sort must be one of {USER_SORT_KEYS}")
        if self.status is not None and self.status not in USER_STATUSES:
            raise ValueError(f"status must be one of {USER_STATUSES}")
        if self.status in ("active", "locked") and self.now is None:
            raise ValueError(f"status {self.status!r} needs `now`")


@dataclass(frozen=True)
class Invitation:
    """A pre-authorized email: whoever registers with it may, once, before it expires."""

    email: str
    created_at: datetime
    expires_at: datetime | None = None
    invited_by: str = ""  # username of the admin, "" for CLI or import
    used_at: datetime | None = None
    used_by: str = ""  # username of the account registered with it

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class Token:
    """An emailed single-use token. `id` is the SHA-256 of the secret in the link."""

    id: str
    purpose: str  # one of TOKEN_PURPOSES
    user_id: int
    email: str  # the address it was sent to (for change_email: the new address)
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    """One line of the audit log. `detail` (e.g. why a sign-in failed) is for admins only."""

    at: datetime
    event: str  # e.g. "sign_in", "sign_out", "lockout", "password_reset", "user_disabled"
    outcome: str  # "success" or "failure"
    actor: str = ""  # username of who acted; "" when unknown (e.g. a failed sign-in)
    target: str = ""  # username acted upon (for a sign-in: the login as typed, capped)
    method: str = ""  # how: "password", "google", "cli", "admin", ...
    ip: str = ""
    detail: str = ""
    id: int | None = None  # set by the store


@dataclass(frozen=True)
class AuditQuery:
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    actor: str = ""  # exact, ignoring case
    target: str = ""  # exact, ignoring case
    event: str = ""
    outcome: str = ""


@dataclass(frozen=True)
class AuditDayCount:
    """Events of one kind on one UTC day, for charts."""

    day: date
    event: str
    method: str
    outcome: str
    count: int
    distinct_targets: int


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
        email_verified: bool = True,
        invitation: str | None = None,
        identity: tuple[str, str] | None = None,
    ) -> User:
        """Insert a user; raises DuplicateUser.

        `invitation`: an email whose invitation must be usable at `now`; it is
        marked used by this user in the same transaction (else InvitationError,
        and no user is created). `identity`: (provider, subject) linked in the
        same transaction; the user's `auth_source` becomes the provider (a
        guest); raises DuplicateIdentity. An empty email is allowed (a guest
        whose provider shares none) and never clashes with another empty one.
        """

    @abc.abstractmethod
    def get_user(self, user_id: int) -> User | None: ...

    @abc.abstractmethod
    def find_user(self, login: str) -> User | None:
        """The user whose username or email equals `login`, ignoring case."""

    @abc.abstractmethod
    def find_user_by_identity(self, provider: str, subject: str) -> User | None:
        """The user linked to this OpenID Connect (provider, subject); exact match."""

    @abc.abstractmethod
    def link_identity(self, user_id: int, provider: str, subject: str) -> None:
        """Link (provider, subject) to a user. Raises UserNotFound, DuplicateIdentity."""

    @abc.abstractmethod
    def list_users(
        self, query: UserQuery | None = None, *, offset: int = 0, limit: int = 50
    ) -> list[User]:
        """One page of the users matching `query` (default: all, by username)."""

    @abc.abstractmethod
    def count_users(self, query: UserQuery | None = None) -> int: ...

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

    @abc.abstractmethod
    def unlock_user(self, user_id: int) -> User:
        """Clear the failure count and lock (an admin's unlock). Raises UserNotFound."""

    @abc.abstractmethod
    def hit_counter(self, key: str, *, now: datetime, window: timedelta) -> int:
        """Count one hit on `key` in the fixed window holding `now`; the window's count so far.

        Atomic: N concurrent hits in one window return N distinct counts 1..N.
        Used for flood control (e.g. reset emails per account and per address).
        """

    # --- invitations (pre-authorized emails) ------------------------------------
    @abc.abstractmethod
    def add_invitations(
        self,
        emails: Iterable[str],
        *,
        now: datetime,
        expires_at: datetime | None = None,
        invited_by: str = "",
    ) -> list[str]:
        """Invite emails (ignoring case); returns those that were not yet invited.

        An unused invitation that exists gets the new expiry; a used one is left alone.
        """

    @abc.abstractmethod
    def get_invitation(self, email: str) -> Invitation | None: ...

    @abc.abstractmethod
    def list_invitations(self) -> list[Invitation]:
        """Every invitation, used ones included, sorted by email."""

    @abc.abstractmethod
    def remove_invitation(self, email: str) -> bool:
        """Delete an invitation; False when there was none."""

    # --- emailed tokens ---------------------------------------------------------
    @abc.abstractmethod
    def add_token(self, token: Token) -> None: ...

    @abc.abstractmethod
    def redeem_token(self, token_id: str, *, purpose: str, now: datetime) -> Token | None:
        """Delete and return the token if it exists, has this purpose and has not expired.

        Once only: a second call returns None. A token of another purpose is left alone.
        """

    @abc.abstractmethod
    def delete_tokens(self, user_id: int, purpose: str | None = None) -> int:
        """Delete a user's tokens (of one purpose, or all); returns how many."""

    # --- audit log --------------------------------------------------------------
    @abc.abstractmethod
    def add_audit(self, event: AuditEvent) -> None: ...

    @abc.abstractmethod
    def list_audit(
        self, query: AuditQuery | None = None, *, offset: int = 0, limit: int = 100
    ) -> list[AuditEvent]:
        """Matching events, newest first."""

    @abc.abstractmethod
    def count_audit(self, query: AuditQuery | None = None) -> int: ...

    @abc.abstractmethod
    def audit_per_day(self, query: AuditQuery | None = None) -> list[AuditDayCount]:
        """Counts of matching events per UTC day, event, method and outcome, oldest first."""

    @abc.abstractmethod
    def prune_audit(self, *, before: datetime) -> int:
        """Delete events older than `before`; returns how many."""

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
        """Delete expired tickets, tokens, past counter windows and sessions that ended.

        Returns how many records went.
        """
