"""Password sign-in: one hash computation per attempt and one answer for every failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auth.domain import audit, passwords, users
from auth.domain.sessions import issue_ticket
from auth.store import User
from auth.texts import T

if TYPE_CHECKING:
    from auth.domain.services import Services

MAX_LOGIN_CHARS = 254
UNVERIFIED = "email not verified"


def authenticate(services: Services, login: str, password: str, *, ip: str = "") -> User | None:
    """Return the user if `login` (username or email) and `password` match an active account."""
    user, reason = _attempt(services, login, password, ip=ip)
    return None if reason else user


def _attempt(
    services: Services, login: str, password: str, *, ip: str = ""
) -> tuple[User | None, str]:
    """(user, "") on success, else (None or the user, the reason for the log)."""
    settings = services.settings
    login = login.strip()
    found = services.store.find_user(login) if 0 < len(login) <= MAX_LOGIN_CHARS else None
    check = users.check_password(services, found, password, method="password", ip=ip)
    user, reason = check.user, check.reason
    unverified = user is not None and not user.email_verified
    if not reason and unverified and settings.email_verification_required:
        reason = UNVERIFIED
    if reason or user is None:
        # The reason stays server-side (admins' audit page). The login text of an
        # unknown user is not kept: it is often a password typed in the wrong field.
        audit.record(
            services,
            audit.SIGN_IN,
            audit.FAILURE,
            target=user.username if user else "",
            method="password",
            ip=ip,
            detail=reason,
        )
        return (user if reason == UNVERIFIED else None), reason

    services.store.record_login_success(user.id, now=services.now())
    if (
        not user.must_change_password
        and user.password_hash
        and passwords.needs_rehash(user.password_hash, settings.bcrypt_rounds)
    ):
        # An imported or older hash: upgrade it now that we know the password.
        new_hash = passwords.hash_password(password, settings.pepper, settings.bcrypt_rounds)
        user = users.upgrade_hash(services, user, new_hash)
    audit.record(
        services, audit.SIGN_IN, actor=user.username, target=user.username, method="password", ip=ip
    )
    return user, ""


@dataclass(frozen=True)
class SignInResult:
    ticket: str | None  # hand it to /api/auth/session to get the cookie
    message: str = ""
    unverified: User | None = None  # the right password, but the email is not confirmed yet


def begin_sign_in(
    services: Services,
    login: str,
    password: str,
    *,
    origin: str,
    user_agent: str = "",
    ip: str = "",
) -> SignInResult:
    """What the sign-in form does: check the password, then issue a one-time ticket."""
    user, reason = _attempt(services, login, password, ip=ip)
    # Unknown user, wrong password, disabled and locked all get T.sign_in_failed, so the
    # page cannot be used to find out which accounts exist or are locked. The hint comes
    # only after the right password, so it tells nothing to a guesser.
    if reason == UNVERIFIED:
        return SignInResult(
            None, f"{T.sign_in_failed} {T.sign_in_unverified_hint}", unverified=user
        )
    if user is None:
        return SignInResult(None, T.sign_in_failed)
    ticket = issue_ticket(services, user, origin=origin, user_agent=user_agent, ip=ip)
    if ticket is None:
        return SignInResult(None, T.sign_in_too_many_users)
    return SignInResult(ticket)
