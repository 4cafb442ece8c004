"""Password sign-in: one hash computation per attempt and one answer for every failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auth.domain import audit, passwords, users
from auth.domain.sessions import TOO_MANY_USERS_MESSAGE, issue_ticket
from auth.store import User

if TYPE_CHECKING:
    from auth.domain.services import Services

# Unknown user, wrong password, disabled and locked all get this message, so
# the page cannot be used to find out which accounts exist or are locked.
FAILED_MESSAGE = (
    "Incorrect username or password. After several failed attempts, "
    "sign-in is paused for a few minutes."
)
MAX_LOGIN_CHARS = 254
# Added to FAILED_MESSAGE only after the right password, so it tells nothing to a guesser.
UNVERIFIED_HINT = (
    "If you registered recently, confirm your email address first: open the link we sent you."
)
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
    if reason == UNVERIFIED:
        return SignInResult(None, f"{FAILED_MESSAGE} {UNVERIFIED_HINT}", unverified=user)
    if user is None:
        return SignInResult(None, FAILED_MESSAGE)
    ticket = issue_ticket(services, user, origin=origin, user_agent=user_agent, ip=ip)
    if ticket is None:
        return SignInResult(None, TOO_MANY_USERS_MESSAGE)
    return SignInResult(ticket)
