"""Users: the one service that creates, changes and deletes them, with every side effect.

Every write to a user goes through `create`, `change` or `delete` here (or the
validated helpers below them), and each applies the same consequences every time:

- a new password, new roles or disabling end the user's sessions and delete their
  unredeemed sign-in tickets (except the session making its own change);
- a new password deletes pending reset links; a new email address or disabling
  deletes every pending link (they went to an address or account that changed);
- the change is written to the audit log, with who made it (`Actor`).

`check_password` is the one password check with lockout: sign-in, the account
page and the password change all use it.

The validated helpers (`create_user`, `set_password`, `set_roles`, ...) check all
of their input before anything is written, so bad input changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from auth.domain import audit, passwords, tokens, validators
from auth.domain.errors import ValidationError
from auth.store import NewUser, User, UserChanges, UserNotFound
from auth.texts import T

if TYPE_CHECKING:
    from collections.abc import Iterable

    from auth.domain.services import Services
    from auth.domain.sessions import Identity

__all__ = [
    "Actor",
    "PasswordCheck",
    "ValidationError",
    "change",
    "change_own_password",
    "check_password",
    "create",
    "create_user",
    "delete",
    "delete_user",
    "get_by_username",
    "password_context",
    "public_record",
    "revoke_sessions",
    "set_disabled",
    "set_password",
    "set_roles",
    "unlock",
    "update_details",
    "upgrade_hash",
]


@dataclass(frozen=True)
class Actor:
    """Who acts, for the audit log: a username ("" for a visitor or the system), how, from where."""

    username: str = ""
    method: str = ""
    ip: str = ""


# --- the core: every write to a user ---------------------------------------------------


def create(
    services: Services,
    new: NewUser,
    *,
    by: Actor,
    event: str = audit.USER_CREATED,
    detail: str | None = None,
) -> User:
    """Store a new user and audit it (`event`, e.g. a registration or a guest's first sign-in)."""
    user = services.store.create_user(new, now=services.now())
    _audit(services, event, user, by, f"roles={','.join(user.roles)}" if detail is None else detail)
    return user


def change(
    services: Services,
    user: User,
    wanted: UserChanges,
    *,
    by: Actor,
    event: str,
    keep_session: str | None = None,
    detail: str = "",
) -> User:
    """Apply the fields of `wanted` that differ from `user`, then their consequences (above).

    Nothing is written or audited when nothing differs. Raises the store's
    UserNotFound, DuplicateUser (email) and LastAdminError; then nothing changed.
    """
    store, now = services.store, services.now()
    current = store.get_user(user.id)
    if current is None:
        raise UserNotFound(user.id)
    changes = wanted.against(current)
    if not changes:
        return current
    updated = store.update_user(user.id, changes)
    disabled_now = changes.disabled is True
    if changes.password_hash is not None or changes.roles is not None or disabled_now:
        # Roles are re-read on every run anyway; ending sessions makes a demotion or a
        # new password take effect at once for whoever holds a copy of an old cookie.
        store.revoke_user_sessions(user.id, now=now, keep=keep_session)
    if changes.email is not None or disabled_now:
        store.delete_tokens(user.id)
    elif changes.password_hash is not None:
        # A reset link mailed before the change must not undo it.
        store.delete_tokens(user.id, tokens.RESET_PASSWORD)
    _audit(services, event, user, by, detail)
    return updated


def delete(
    services: Services, user: User, *, by: Actor, detail: str = "", keep_an_admin: bool = True
) -> None:
    """Delete a user with every session, ticket, pending link and identity (the store's job)."""
    services.store.delete_user(user.id, keep_an_admin=keep_an_admin)
    _audit(services, audit.USER_DELETED, user, by, detail)


def upgrade_hash(services: Services, user: User, new_hash: str) -> User:
    """Replace a stored hash by a stronger one of the SAME password, after a sign-in.

    Not a credential change: no session ends, no link dies, nothing to audit.
    """
    return services.store.update_user(user.id, UserChanges(password_hash=new_hash))


def unlock(
    services: Services, user: User, *, actor: str = "", method: str = "", ip: str = ""
) -> User:
    """Clear the failed sign-in count and the lock."""
    updated = services.store.unlock_user(user.id)
    _audit(services, audit.USER_UNLOCKED, user, Actor(actor, method, ip))
    return updated


def revoke_sessions(
    services: Services,
    user: User,
    *,
    keep: str | None = None,
    actor: str = "",
    method: str = "",
    ip: str = "",
    detail: str = "count={count}",
) -> int:
    """End the user's sessions ("sign out everywhere"), except `keep` if given.

    `detail` is the audit detail; "{count}" in it becomes how many sessions ended.
    """
    count = services.store.revoke_user_sessions(user.id, now=services.now(), keep=keep)
    _audit(
        services, audit.SESSIONS_REVOKED, user, Actor(actor, method, ip), detail.format(count=count)
    )
    return count


def _audit(services: Services, event: str, user: User, by: Actor, detail: str = "") -> None:
    audit.record(
        services,
        event,
        actor=by.username,
        target=user.username,
        method=by.method,
        ip=by.ip,
        detail=detail,
    )


# --- the one password check with lockout ---------------------------------------------------


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of `check_password`. `reason` is "" on success, else for the audit log."""

    reason: str
    user: User | None  # as the store has it after the check (failures counted)

    @property
    def ok(self) -> bool:
        return not self.reason


UNKNOWN, DISABLED, LOCKED, WRONG = "unknown user", "disabled", "locked", "wrong password"


def check_password(
    services: Services,
    user: User | None,
    password: str,
    *,
    method: str = "password",
    ip: str = "",
    lockout: Actor | None = None,
    lockout_detail: str | None = None,
) -> PasswordCheck:
    """Whether `password` is `user`'s, costing exactly one hash computation in every case.

    Unknown users (None, or no password) are checked against a dummy hash, so
    timing does not tell them apart. Disabled and locked accounts are refused
    without counting; a wrong password counts towards the lockout, and the
    failure that locks the account is audited (LOCKOUT) once.
    """
    settings, now = services.settings, services.now()
    encoded = user.password_hash if user is not None and user.password_hash else None
    matches = passwords.verify_password(password, encoded or services.dummy_hash, settings.pepper)
    if user is None or encoded is None:
        return PasswordCheck(UNKNOWN, user)
    if user.disabled:
        return PasswordCheck(DISABLED, user)
    if user.is_locked(now):
        return PasswordCheck(LOCKED, user)
    if matches:
        return PasswordCheck("", user)
    counted = services.store.record_login_failure(
        user.id,
        now=now,
        max_attempts=settings.max_failed_attempts,
        lockout_until=now + settings.lockout,
    )
    if counted.is_locked(now) and counted.locked_until is not None:
        by = lockout or Actor(method=method, ip=ip)
        audit.record(
            services,
            audit.LOCKOUT,
            audit.FAILURE,
            actor=by.username,
            target=user.username,
            method=by.method,
            ip=by.ip,
            detail=lockout_detail
            or f"{settings.max_failed_attempts} failed sign-ins; until "
            f"{counted.locked_until.isoformat()}",
        )
    return PasswordCheck(WRONG, counted)


# --- reading -------------------------------------------------------------------------------


def password_context(services: Services, username: str, email: str, *names: str) -> tuple[str, ...]:
    """Words a guesser tries first for this person: the password must not be built on them."""
    return (username, email, *(n for n in names if n), services.settings.app_name)


def _password_problems(
    services: Services, password: str, username: str, email: str, *names: str
) -> list[str]:
    return validators.password_problems(
        password,
        min_length=services.settings.min_password_length,
        context=password_context(services, username, email, *names),
    )


def _check(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def public_record(user: User, now: datetime) -> dict[str, Any]:
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


def get_by_username(services: Services, username: str) -> User:
    user = services.store.find_user(username)
    if user is None or user.username.casefold() != username.casefold():
        raise UserNotFound(username)
    return user


# --- validated changes, for pages, routes and manage.py --------------------------------------


def create_user(
    services: Services,
    *,
    username: str,
    email: str,
    roles: Iterable[str],
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
        + validators.name_problems(first_name, T.first_name)
        + validators.name_problems(last_name, T.last_name)
        + validators.role_problems(roles, settings.roles)
        + (
            _password_problems(services, password, username, email, first_name, last_name)
            if password is not None
            else []
        )
    )
    one_time = None if password is not None or not usable_password else secrets.token_urlsafe(12)
    secret = password if password is not None else one_time
    new = NewUser(
        username=username,
        email=email,
        roles=roles,
        password_hash=(
            passwords.hash_password(secret, settings.pepper, settings.bcrypt_rounds)
            if secret is not None
            else None
        ),
        first_name=first_name,
        last_name=last_name,
        must_change_password=one_time is not None,
    )
    return create(services, new, by=Actor(actor, method, ip)), one_time


def set_password(
    services: Services,
    user: User,
    new_password: str,
    *,
    keep_session: str | None = None,
    actor: str = "",
    method: str = "",
    ip: str = "",
    also: UserChanges | None = None,
) -> User:
    """Replace a password (policy checked) and end every session but `keep_session`.

    `also`: further fields to change in the same write (e.g. a reset link proves the email).
    """
    settings = services.settings
    _check(
        _password_problems(
            services, new_password, user.username, user.email, user.first_name, user.last_name
        )
    )
    new_hash = passwords.hash_password(new_password, settings.pepper, settings.bcrypt_rounds)
    changes = replace(also or UserChanges(), password_hash=new_hash, must_change_password=False)
    return change(
        services,
        user,
        changes,
        by=Actor(actor or user.username, method, ip),
        event=audit.PASSWORD_CHANGE,
        keep_session=keep_session,
    )


def change_own_password(
    services: Services, identity: Identity, current: str, new: str, repeat: str, *, ip: str = ""
) -> User:
    """The account page's change: the current password is required. Every outcome is audited."""
    user = identity.user

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
        raise ValidationError([T.account_new_passwords_differ])
    # Someone holding a stolen session cookie must not get unlimited guesses
    # here: wrong answers count towards the same lockout as sign-in.
    fresh = services.store.get_user(user.id) or user
    check = check_password(services, fresh, current, method="account", ip=ip)
    if check.reason == LOCKED:
        refused("locked")
        raise ValidationError([T.account_locked])
    if not check.ok:
        refused("wrong current password")
        raise ValidationError([T.account_current_password_wrong])
    if new == current:
        refused("same as the current password")
        raise ValidationError([T.account_same_password])
    try:
        return set_password(
            services, fresh, new, keep_session=identity.session.id, method="account", ip=ip
        )
    except ValidationError as exc:
        refused(exc.problems[0])
        raise


def set_roles(
    services: Services,
    user: User,
    roles: Iterable[str],
    *,
    actor: str = "",
    method: str = "",
    ip: str = "",
) -> User:
    roles = tuple(dict.fromkeys(roles))
    _check(validators.role_problems(roles, services.settings.roles))
    return change(
        services,
        user,
        UserChanges(roles=roles),
        by=Actor(actor, method, ip),
        event=audit.ROLES_CHANGED,
        detail=f"roles={','.join(roles)}",
    )


def set_disabled(
    services: Services,
    user: User,
    disabled: bool,
    *,
    actor: str = "",
    method: str = "",
    ip: str = "",
) -> User:
    event = audit.USER_DISABLED if disabled else audit.USER_ENABLED
    return change(
        services, user, UserChanges(disabled=disabled), by=Actor(actor, method, ip), event=event
    )


def update_details(
    services: Services,
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
        + validators.name_problems(first_name, T.first_name)
        + validators.name_problems(last_name, T.last_name)
    )
    changes = UserChanges(email=email, first_name=first_name, last_name=last_name).against(user)
    return change(
        services,
        user,
        changes,
        by=Actor(actor, method, ip),
        event=audit.USER_UPDATED,
        detail=f"changed={','.join(sorted(changes.values()))}",
    )


def delete_user(
    services: Services, user: User, *, actor: str = "", method: str = "", ip: str = ""
) -> None:
    delete(services, user, by=Actor(actor, method, ip))
