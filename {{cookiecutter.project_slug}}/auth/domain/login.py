"""Password sign-in: one hash computation per attempt and one answer for every failure."""

from __future__ import annotations

from dataclasses import dataclass

from auth.domain import audit, passwords
from auth.domain.sessions import TOO_MANY_USERS_MESSAGE, issue_ticket
from auth.store import User

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


def authenticate(services, login: str, password: str, *, ip: str = "") -> User | None:
    """Return the user if `login` (username or email) and `password` match an active account."""
    user, reason = _attempt(services, login, password, ip=ip)
    return None if reason else user


def _attempt(services, login: str, password: str, *, ip: str = "") -> tuple[User | None, str]:
    """(user, "") on success, else (None or the user, the reason for the log)."""
    store, settings, now = services.store, services.settings, services.now()
    login = login.strip()
    user = store.find_user(login) if 0 < len(login) <= MAX_LOGIN_CHARS else None
    encoded = user.password_hash if user and user.password_hash else services.dummy_hash
    # Always exactly one hash, before any branch, so timing does not tell the cases apart.
    password_ok = passwords.verify_password(password, encoded, settings.pepper)

    if user is None or not user.password_hash:
        reason = "unknown user"
    elif user.disabled:
        reason = "disabled"
    elif user.is_locked(now):
        reason = "locked"
    elif not password_ok:
        reason = "wrong password"
        user = store.record_login_failure(
            user.id,
            now=now,
            max_attempts=settings.max_failed_attempts,
            lockout_until=now + settings.lockout,
        )
        if user.is_locked(now):
            audit.record(
                services,
                audit.LOCKOUT,
                audit.FAILURE,
                target=user.username,
                method="password",
                ip=ip,
                detail=f"{settings.max_failed_attempts} failed sign-ins; until "
                f"{user.locked_until.isoformat()}",
            )
    elif not user.email_verified and settings.email_verification_required:
        reason = UNVERIFIED
    else:
        reason = ""
    if reason:
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

    store.record_login_success(user.id, now=now)
    if not user.must_change_password and passwords.needs_rehash(
        user.password_hash, settings.bcrypt_rounds
    ):
        # An imported or older hash: upgrade it now that we know the password.
        new_hash = passwords.hash_password(password, settings.pepper, settings.bcrypt_rounds)
        user = store.update_user(user.id, password_hash=new_hash, keep_an_admin=False)
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
    services, login: str, password: str, *, origin: str, user_agent: str = "", ip: str = ""
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
