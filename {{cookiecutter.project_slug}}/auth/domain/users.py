"""User management: the one place that validates, hashes and revokes. Pages and manage.py call it.

Every function validates all of its input before it writes anything, so bad
input changes nothing. Changes that affect what a user may do (password,
roles, disable, delete) end that user's sessions.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from auth.domain import audit, passwords, validators
from auth.store import User, UserNotFound


class ValidationError(Exception):
    """Input that breaks a rule; `problems` holds one sentence per problem."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def _check(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def password_context(services, username: str, email: str, *names: str) -> tuple[str, ...]:
    """Words a guesser tries first for this person: the password must not be built on them."""
    return (username, email, *(n for n in names if n), services.settings.app_name)


def _password_problems(services, password: str, username: str, email: str, *names: str):
    return validators.password_problems(
        password,
        min_length=services.settings.min_password_length,
        context=password_context(services, username, email, *names),
    )


def public_record(user: User, now: datetime) -> dict:
    """What may leave the store about a user: no hash, no counters an attacker could use."""
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "roles": list(user.roles),
        "status": user.status(now),
        "must_change_password": user.must_change_password,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def get_by_username(services, username: str) -> User:
    user = services.store.find_user(username)
    if user is None or user.username.casefold() != username.casefold():
        raise UserNotFound(username)
    return user


def create_user(
    services,
    *,
    username: str,
    email: str,
    roles: tuple[str, ...] | list[str],
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    usable_password: bool = True,
    actor: str = "",
    method: str = "",
    ip: str = "",
) -> tuple[User, str | None]:
    """Create a user. Without `password`, a one-time password is generated and returned
    once; the user must replace it at first sign-in. `usable_password=False`: no
    password at all (the user sets one with a reset link), nothing returned."""
    settings = services.settings
    roles = tuple(dict.fromkeys(roles))
    _check(
        validators.username_problems(username)
        + validators.email_problems(email)
        + validators.name_problems(first_name, "First name")
        + validators.name_problems(last_name, "Last name")
        + validators.role_problems(roles, settings.roles)
        + (
            _password_problems(services, password, username, email, first_name, last_name)
            if password is not None
            else []
        )
    )
    one_time = None if password is not None or not usable_password else secrets.token_urlsafe(12)
    secret = password if password is not None else one_time
    user = services.store.create_user(
        username=username,
        email=email,
        password_hash=(
            passwords.hash_password(secret, settings.pepper, settings.bcrypt_rounds)
            if secret is not None
            else None
        ),
        roles=roles,
        first_name=first_name,
        last_name=last_name,
        must_change_password=one_time is not None,
        now=services.now(),
    )
    audit.record(
        services,
        audit.USER_CREATED,
        actor=actor,
        target=user.username,
        method=method,
        ip=ip,
        detail=f"roles={','.join(user.roles)}",
    )
    return user, one_time


def set_password(
    services,
    user: User,
    new_password: str,
    *,
    keep_session: str | None = None,
    actor: str = "",
    method: str = "",
    ip: str = "",
):
    """Replace a password (policy checked) and end every session but `keep_session`."""
    settings = services.settings
    _check(
        _password_problems(
            services, new_password, user.username, user.email, user.first_name, user.last_name
        )
    )
    new_hash = passwords.hash_password(new_password, settings.pepper, settings.bcrypt_rounds)
    updated = services.store.update_user(
        user.id, password_hash=new_hash, must_change_password=False, keep_an_admin=False
    )
    services.store.revoke_user_sessions(user.id, now=services.now(), keep=keep_session)
    # A reset link mailed before the change must not undo it.
    services.store.delete_tokens(user.id, "reset_password")
    audit.record(
        services,
        audit.PASSWORD_CHANGE,
        actor=actor or user.username,
        target=user.username,
        method=method,
        ip=ip,
    )
    return updated


def change_own_password(
    services, identity, current: str, new: str, repeat: str, *, ip: str = ""
) -> User:
    """The account page's change: the current password is required. Every outcome is audited."""
    user, settings, now = identity.user, services.settings, services.now()

    def refused(reason: str) -> None:
        audit.record(
            services,
            audit.PASSWORD_CHANGE,
            audit.FAILURE,
            actor=user.username,
            target=user.username,
            method="account",
            ip=ip,
            detail=reason,
        )

    if new != repeat:
        refused("The new passwords do not match.")
        raise ValidationError(["The new passwords do not match."])
    # Someone holding a stolen session cookie must not get unlimited guesses
    # here: wrong answers count towards the same lockout as sign-in.
    if user.is_locked(now):
        refused("locked")
        raise ValidationError(["Too many wrong passwords. Try again in a few minutes."])
    if not passwords.verify_password(current, user.password_hash or "", settings.pepper):
        counted = services.store.record_login_failure(
            user.id,
            now=now,
            max_attempts=settings.max_failed_attempts,
            lockout_until=now + settings.lockout,
        )
        refused("wrong current password")
        if counted.is_locked(now):
            audit.record(
                services,
                audit.LOCKOUT,
                audit.FAILURE,
                target=user.username,
                method="account",
                ip=ip,
                detail=f"until {counted.locked_until.isoformat()}",
            )
        raise ValidationError(["The current password is not correct."])
    if new == current:
        refused("same as the current password")
        raise ValidationError(["Choose a password different from the current one."])
    try:
        return set_password(
            services, user, new, keep_session=identity.session.id, method="account", ip=ip
        )
    except ValidationError as exc:
        refused(exc.problems[0])
        raise


def _admin_record(services, event, user, actor, method, ip, detail=""):
    audit.record(
        services, event, actor=actor, target=user.username, method=method, ip=ip, detail=detail
    )


def set_roles(
    services,
    user: User,
    roles: tuple[str, ...] | list[str],
    *,
    actor: str = "",
    method: str = "",
    ip: str = "",
) -> User:
    roles = tuple(dict.fromkeys(roles))
    _check(validators.role_problems(roles, services.settings.roles))
    updated = services.store.update_user(user.id, roles=roles)
    # Roles are re-read on every run anyway; ending sessions makes a demotion
    # visible at once to whoever holds a copy of the old cookie.
    services.store.revoke_user_sessions(user.id, now=services.now())
    _admin_record(
        services, audit.ROLES_CHANGED, user, actor, method, ip, f"roles={','.join(roles)}"
    )
    return updated


def set_disabled(
    services, user: User, disabled: bool, *, actor: str = "", method: str = "", ip: str = ""
) -> User:
    updated = services.store.update_user(user.id, disabled=disabled)
    if disabled:
        services.store.revoke_user_sessions(user.id, now=services.now())
    event = audit.USER_DISABLED if disabled else audit.USER_ENABLED
    _admin_record(services, event, user, actor, method, ip)
    return updated


def update_details(
    services,
    user: User,
    *,
    email: str,
    first_name: str,
    last_name: str,
    actor: str = "",
    method: str = "",
    ip: str = "",
) -> User:
    """Change a user's email and name (validated); the admin's word stands for the email."""
    email, first_name, last_name = email.strip(), first_name.strip(), last_name.strip()
    _check(
        validators.email_problems(email)
        + validators.name_problems(first_name, "First name")
        + validators.name_problems(last_name, "Last name")
    )
    wanted = {"first_name": first_name, "last_name": last_name, "email": email}
    changes = {k: v for k, v in wanted.items() if getattr(user, k) != v}
    if not changes:
        return user
    updated = services.store.update_user(user.id, keep_an_admin=False, **changes)
    if "email" in changes:
        # A link on its way to the old address must not work any more.
        services.store.delete_tokens(user.id)
    _admin_record(
        services,
        audit.USER_UPDATED,
        user,
        actor,
        method,
        ip,
        f"changed={','.join(sorted(changes))}",
    )
    return updated


def unlock(services, user: User, *, actor: str = "", method: str = "", ip: str = "") -> User:
    """Clear the failed sign-in count and the lock."""
    updated = services.store.unlock_user(user.id)
    _admin_record(services, audit.USER_UNLOCKED, user, actor, method, ip)
    return updated


def delete_user(services, user: User, *, actor: str = "", method: str = "", ip: str = "") -> None:
    services.store.delete_user(user.id)
    _admin_record(services, audit.USER_DELETED, user, actor, method, ip)


def revoke_sessions(
    services,
    user: User,
    *,
    keep: str | None = None,
    actor: str = "",
    method: str = "",
    ip: str = "",
) -> int:
    """End the user's sessions ("sign out everywhere"), except `keep` if given."""
    count = services.store.revoke_user_sessions(user.id, now=services.now(), keep=keep)
    _admin_record(services, audit.SESSIONS_REVOKED, user, actor, method, ip, f"count={count}")
    return count
