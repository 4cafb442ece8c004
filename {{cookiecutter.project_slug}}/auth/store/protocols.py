"""The store interface, split by role: what each part of the app needs from storage.

One backend object implements every role (`Store`), so that a change touching
two of them (a user created with an invitation, a user deleted with their
sessions) stays one transaction. Domain code can still name the narrow role it
uses. Nothing but the store touches data.

Every method that changes data is atomic: it runs in one transaction, and the
rules that need atomicity (lockout counters, "keep at least one active admin",
single-use tickets and tokens) are enforced inside that transaction, not by a
check-then-act in the caller.

To add a backend: subclass `Store`, implement every method, and add it to
`tests/auth/store/backends.py`; the contract suite then runs against it.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from datetime import datetime, timedelta

from auth.store.records import (
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


class UserStore(abc.ABC):
    """Users, their OpenID identities and their sign-in counters."""

    @abc.abstractmethod
    def create_user(self, new: NewUser, *, now: datetime) -> User:
        """Insert a user (see `NewUser` for invitations and identities).

        Raises DuplicateUser, DuplicateIdentity, InvitationError; then nothing is written.
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
    def update_user(
        self, user_id: int, changes: UserChanges, *, keep_an_admin: bool = True
    ) -> User:
        """Apply `changes`. Raises UserNotFound, DuplicateUser, LastAdminError.

        `keep_an_admin=False` skips the last-admin rule, for changes that cannot
        remove an admin (names, email, a new password hash).
        """

    @abc.abstractmethod
    def delete_user(self, user_id: int, *, keep_an_admin: bool = True) -> None:
        """Delete a user with their sessions, tickets, tokens and identities.

        Raises UserNotFound, LastAdminError.
        """

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


class SessionStore(abc.ABC):
    """Server-side sessions and the one-time tickets that start them."""

    @abc.abstractmethod
    def add_ticket(self, ticket: Ticket) -> None: ...

    @abc.abstractmethod
    def redeem_ticket(self, ticket_id: str, *, now: datetime) -> Ticket | None:
        """Delete the ticket and return it if it had not expired; None otherwise. Once only."""

    @abc.abstractmethod
    def add_session(self, session: Session) -> None: ...

    @abc.abstractmethod
    def get_session(self, session_id: str) -> Session | None: ...

    @abc.abstractmethod
    def load_session(self, session_id: str) -> tuple[Session, User] | None:
        """The session with its user as they are now, read together (one query on SQL).

        The check on every script run: None when either is gone.
        """

    @abc.abstractmethod
    def touch_session(self, session_id: str, *, now: datetime) -> None: ...

    @abc.abstractmethod
    def revoke_session(self, session_id: str, *, now: datetime) -> None: ...

    @abc.abstractmethod
    def revoke_user_sessions(self, user_id: int, *, now: datetime, keep: str | None = None) -> int:
        """End every live session of a user except `keep`, and delete their unredeemed
        tickets (a sign-in finished just before must not become a session after);
        returns how many sessions ended."""

    @abc.abstractmethod
    def list_sessions(self, user_id: int, *, now: datetime) -> list[Session]:
        """The user's sessions that are neither revoked nor past their absolute expiry."""

    @abc.abstractmethod
    def count_signed_in_users(self, *, now: datetime, seen_since: datetime) -> int:
        """Distinct users with a live session used since `seen_since`."""


class TokenStore(abc.ABC):
    """Emailed single-use tokens and flood-control counters."""

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

    @abc.abstractmethod
    def hit_counter(self, key: str, *, now: datetime, window: timedelta) -> int:
        """Count one hit on `key` in the fixed window holding `now`; the window's count so far.

        Atomic: N concurrent hits in one window return N distinct counts 1..N.
        Used for flood control (e.g. reset emails per account and per address).
        """


class InvitationStore(abc.ABC):
    """Pre-authorized emails for registration."""

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


class AuditStore(abc.ABC):
    """The audit log."""

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


class Store(UserStore, SessionStore, TokenStore, InvitationStore, AuditStore):
    """Everything the app, the routes and manage.py need from storage: one backend object."""

    @abc.abstractmethod
    def create_schema(self) -> None:
        """Create or migrate the tables (idempotent)."""

    @abc.abstractmethod
    def purge_expired(self, *, now: datetime) -> int:
        """Delete expired tickets, tokens, past counter windows and sessions that ended.

        Returns how many records went.
        """
