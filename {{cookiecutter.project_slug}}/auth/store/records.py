"""The records a store reads and writes: immutable snapshots, plus the queries to find them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

ADMIN_ROLE = "admin"
LOCAL = "local"  # `User.auth_source` of users who sign in with a password

# What `UserQuery` may sort and filter by.
USER_SORT_KEYS = ("username", "email", "name", "created_at", "last_login_at")
USER_STATUSES = ("active", "disabled", "locked", "guest")

# Purposes of emailed one-time tokens (`Token.purpose`).
TOKEN_PURPOSES = ("reset_password", "verify_email", "change_email")


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
class NewUser:
    """A user to create: everything `Store.create_user` writes, and nothing else.

    `invitation`: an email whose invitation must be usable at creation; it is used
    up by this user in the same transaction. `identity`: (provider, subject) of an
    OpenID Connect guest, linked in the same transaction; the user's
    `auth_source` becomes the provider. An empty email is allowed (a guest whose
    provider shares none) and never clashes with another empty one.
    """

    username: str
    email: str
    roles: tuple[str, ...]
    password_hash: str | None
    first_name: str = ""
    last_name: str = ""
    must_change_password: bool = False
    email_verified: bool = True
    invitation: str | None = None
    identity: tuple[str, str] | None = None

    @property
    def auth_source(self) -> str:
        return self.identity[0] if self.identity else LOCAL


@dataclass(frozen=True)
class UserChanges:
    """What to change of a user; a field left at None stays as it is.

    Counters, timestamps and ids are not here: they change only through their
    own store methods (sign-in counters, unlock).
    """

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    roles: tuple[str, ...] | None = None
    password_hash: str | None = None
    disabled: bool | None = None
    must_change_password: bool | None = None
    email_verified: bool | None = None

    def values(self) -> dict[str, object]:
        """The fields to change, by name."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    def against(self, user: User) -> UserChanges:
        """Only the fields whose value differs from `user`'s (roles compared as sets)."""
        kept = {
            name: value
            for name, value in self.values().items()
            if (
                set(value) != set(user.roles)
                if name == "roles" and isinstance(value, tuple)
                else getattr(user, name) != value
            )
        }
        return UserChanges(**kept)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.values())


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
