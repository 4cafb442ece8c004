"""Server-side sessions: one-time tickets, creation, the check on every run, revocation.

Tokens are 256-bit random values; the store keeps only their SHA-256, so a
copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeGuard

from auth.domain import audit
from auth.store import Session, Ticket, User

if TYPE_CHECKING:
    from auth.domain.services import Services

TICKET_LIFETIME = timedelta(seconds=60)
# last_seen_at is written at most this often: a write on every script run would
# cost more than the idle timeout's precision is worth.
TOUCH_INTERVAL = timedelta(seconds=60)
# Tokens and tickets are token_urlsafe(32): 43 characters. Anything much longer
# is refused before it is hashed or looked up.
MAX_TOKEN_CHARS = 128


@dataclass(frozen=True)
class Identity:
    """A verified sign-in: the user and the session as the store has them now."""

    user: User
    session: Session

    @property
    def roles(self) -> tuple[str, ...]:
        return self.user.roles


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plausible_token(token: object) -> TypeGuard[str]:
    """A non-empty string of sane length: worth a look-up in the store."""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS


def _is_live(session: Session, now: datetime, idle_timeout: timedelta) -> bool:
    return (
        session.revoked_at is None
        and session.expires_at > now
        and session.last_seen_at + idle_timeout > now
    )


def live_sessions(services: Services, user: User) -> list[Session]:
    """The user's sessions that would pass `verify_session` now (newest first)."""
    now, idle = services.now(), services.settings.idle_timeout
    return [s for s in services.store.list_sessions(user.id, now=now) if _is_live(s, now, idle)]


def _seats_available(services: Services, user: User) -> bool:
    limit = services.settings.max_concurrent_users
    if not limit or live_sessions(services, user):
        return True  # no limit, or this user already holds a seat
    now = services.now()
    seen_since = now - services.settings.idle_timeout
    return services.store.count_signed_in_users(now=now, seen_since=seen_since) < limit


def issue_ticket(
    services: Services,
    user: User,
    *,
    origin: str,
    method: str = "password",
    user_agent: str = "",
    ip: str = "",
) -> str | None:
    """Store a one-time ticket for `user`; None when the concurrent-user limit is reached."""
    if not _seats_available(services, user):
        return None
    ticket = secrets.token_urlsafe(32)
    services.store.add_ticket(
        Ticket(
            id=token_id(ticket),
            user_id=user.id,
            method=method,
            origin=origin,
            expires_at=services.now() + TICKET_LIFETIME,
            user_agent=user_agent[:512],
            ip=ip[:64],
        )
    )
    return ticket


def start_session(services: Services, ticket: str) -> tuple[str, Ticket, User] | None:
    """Redeem a ticket (once) and create a session; returns (token, ticket, user) or None."""
    if not plausible_token(ticket):
        return None
    store, settings, now = services.store, services.settings, services.now()
    redeemed = store.redeem_ticket(token_id(ticket), now=now)
    if redeemed is None:
        return None
    user = store.get_user(redeemed.user_id)
    if user is None or user.disabled:
        return None
    token = secrets.token_urlsafe(32)
    session = Session(
        id=token_id(token),
        user_id=user.id,
        method=redeemed.method,
        created_at=now,
        last_seen_at=now,
        expires_at=now + settings.session_lifetime,
        user_agent=redeemed.user_agent,
        ip=redeemed.ip,
    )
    store.add_session(session)
    if settings.single_session:
        store.revoke_user_sessions(user.id, now=now, keep=session.id)
    record_active(services, user, session)
    return token, redeemed, user


def verify_session(services: Services, token: str | None) -> Identity | None:
    """The check on every script run: None unless the session and its user are still good."""
    if not plausible_token(token):
        return None
    store, settings, now = services.store, services.settings, services.now()
    loaded = store.load_session(token_id(token))  # session, user and roles: one query
    if loaded is None:
        return None
    session, user = loaded
    if not _is_live(session, now, settings.idle_timeout) or user.disabled:
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        store.touch_session(session.id, now=now)
        if session.last_seen_at.date() != now.date():
            # The first use on a new UTC day ("active users per day"); the day the
            # session started was recorded by the route that started it.
            record_active(services, user, session)
    return Identity(user=user, session=session)


def record_active(services: Services, user: User, session: Session) -> None:
    """One SESSION_ACTIVE event: this user used this session on this UTC day."""
    audit.record(
        services,
        audit.SESSION_ACTIVE,
        actor=user.username,
        target=user.username,
        method=session.method,
        ip=session.ip,
    )


def revoke(services: Services, session_id: str) -> None:
    """End one session by its id (the store's, not the cookie's token)."""
    services.store.revoke_session(session_id, now=services.now())


def end_session(services: Services, token: str | None, *, ip: str = "") -> None:
    """Sign out: the session is revoked, so a saved copy of the cookie stops working."""
    if not plausible_token(token):
        return
    store = services.store
    session = store.get_session(token_id(token))
    store.revoke_session(token_id(token), now=services.now())
    if session is not None and session.revoked_at is None:
        user = store.get_user(session.user_id)
        name = user.username if user else ""
        audit.record(
            services, audit.SIGN_OUT, actor=name, target=name, method=session.method, ip=ip
        )
