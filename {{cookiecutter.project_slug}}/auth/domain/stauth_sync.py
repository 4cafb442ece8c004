"""Import a streamlit-authenticator config into any store, and export one: `manage.py` calls these.

Both go through the `Store` interface only, so they work on every backend.

Import plans first (`plan_import`, nothing written), then `apply_import` carries
the plan out. Applying the same file twice changes nothing the second time:
a user whose details already match is "unchanged". Plain-text passwords are
hashed with our peppered hash; bcrypt hashes (``$2b$``) are kept as they are
and upgraded at the user's next sign-in. Pre-authorized emails become
invitations. Roles that settings.toml does not list are left out and reported.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auth.domain import audit, passwords, users, validators
from auth.store import DuplicateUser, LastAdminError, NewUser, User, UserChanges, UserNotFound
from auth.store.stauth_format import (
    StauthConfig,
    StauthUser,
    new_config,
    set_preauthorized,
    user_entry,
)
from auth.store.stauth_format import stauth_key as _stauth_key
from auth.texts import T

if TYPE_CHECKING:
    from auth.domain.services import Services

CREATE, UPDATE, UNCHANGED, SKIP = "create", "update", "unchanged", "skip"
INVITE = "invite"
PAGE = 500
IMPORTER = users.Actor(method="cli")
IMPORT_DETAIL = "import-stauth"


@dataclass
class Step:
    """What import does with one user or pre-authorized email, and why."""

    action: str  # CREATE, UPDATE, UNCHANGED, SKIP or INVITE
    name: str  # username, or the email of an invitation
    reasons: list[str] = field(default_factory=list)
    source: StauthUser | None = None
    user: User | None = None  # the existing user, for UPDATE
    changes: dict[str, Any] = field(default_factory=dict)
    plain_password: str | None = None  # hashed only when applied


@dataclass
class ImportPlan:
    steps: list[Step]

    def count(self, action: str) -> int:
        return sum(1 for step in self.steps if step.action == action)


def plan_import(services: Services, config: StauthConfig) -> ImportPlan:
    """Decide, for every user and pre-authorized email, what import would do. Writes nothing."""
    store = services.store
    steps: list[Step] = []
    emails_in_file = {u.email.casefold(): u.username for u in config.users if u.email}
    for source in config.users:
        steps.append(_plan_user(services, source, emails_in_file))
    for email in config.preauthorized:
        owner = store.find_user(email)
        if validators.email_problems(email):
            steps.append(Step(SKIP, email, ["not a valid email address"]))
        elif owner is not None or email.casefold() in emails_in_file:
            steps.append(Step(SKIP, email, ["already a user's email"]))
        elif (offer := store.get_invitation(email)) is not None:
            why = "already invited" if offer.used_at is None else f"used by {offer.used_by}"
            steps.append(Step(UNCHANGED, email, [why]))
        else:
            steps.append(Step(INVITE, email, ["pre-authorized: may register once"]))
    return ImportPlan(steps)


def _plan_user(services: Services, source: StauthUser, emails_in_file: dict[str, str]) -> Step:
    settings, store = services.settings, services.store
    name = source.username
    problems = (
        validators.username_problems(name)
        + validators.email_problems(source.email)
        + validators.name_problems(source.first_name, T.first_name)
        + validators.name_problems(source.last_name, T.last_name)
    )
    if problems:
        return Step(SKIP, name, problems, source)
    if source.password is None:
        return Step(SKIP, name, ["no password in the file"], source)
    reasons: list[str] = []
    roles = tuple(r for r in source.roles if r in settings.roles)
    unknown = [r for r in source.roles if r not in settings.roles]
    if unknown:
        reasons.append(f"roles not in settings.toml left out: {', '.join(unknown)}")
    if not source.roles:
        roles = (settings.roles[-1],)
        reasons.append(f"no roles in the file: given {roles[0]}")
    plain = source.password if source.has_plain_password else None
    existing = store.find_user(name)
    if existing is not None and existing.username.casefold() != name.casefold():
        return Step(SKIP, name, [f"the username is the email of {existing.username}"], source)
    by_email = store.find_user(source.email)
    if by_email is not None and (existing is None or by_email.id != existing.id):
        return Step(SKIP, name, [f"the email belongs to {by_email.username}"], source)

    if existing is not None and existing.is_guest:
        return Step(SKIP, name, ["an OpenID guest has that username"], source)
    if existing is None:
        if plain is not None:
            reasons.append("plain-text password will be hashed")
        return Step(CREATE, name, reasons, source, changes={"roles": roles}, plain_password=plain)

    changes: dict[str, Any] = {}
    for field_name, value in (
        ("email", source.email),
        ("first_name", source.first_name),
        ("last_name", source.last_name),
    ):
        if getattr(existing, field_name) != value:
            changes[field_name] = value
    if tuple(sorted(existing.roles)) != tuple(sorted(roles)):
        changes["roles"] = roles
    if plain is not None:
        if not passwords.verify_password(plain, existing.password_hash or "", settings.pepper):
            changes["password_hash"] = None  # hashed when applied
    elif source.password != existing.password_hash:
        changes["password_hash"] = source.password
    if not changes:
        return Step(UNCHANGED, name, reasons, source, existing)
    reasons.insert(0, "changes: " + ", ".join(_label(k) for k in changes))
    return Step(UPDATE, name, reasons, source, existing, changes, plain_password=plain)


def _label(field_name: str) -> str:
    return "password" if field_name == "password_hash" else field_name.replace("_", " ")


def apply_import(services: Services, plan: ImportPlan) -> ImportPlan:
    """Carry the plan out; a step that fails (a race, the last admin) becomes SKIP with why."""
    settings, store, now = services.settings, services.store, services.now()
    invited: list[Step] = []
    for step in plan.steps:
        if step.action == INVITE:
            invited.append(step)
            continue
        if step.action not in (CREATE, UPDATE) or step.source is None:
            continue  # CREATE and UPDATE steps always have a source
        source = step.source
        password_hash = source.password
        if step.plain_password is not None:
            password_hash = passwords.hash_password(
                step.plain_password, settings.pepper, settings.bcrypt_rounds
            )
        try:
            if step.action == CREATE:
                new = NewUser(
                    username=source.username,
                    email=source.email,
                    password_hash=password_hash,
                    roles=step.changes["roles"],
                    first_name=source.first_name,
                    last_name=source.last_name,
                )
                users.create(services, new, by=IMPORTER, detail=IMPORT_DETAIL)
            elif step.user is not None:  # UPDATE steps always name the existing user
                changes = dict(step.changes)
                if "password_hash" in changes:
                    changes["password_hash"] = password_hash
                # Through the user service: a new password or new roles end the
                # user's sessions, and pending links die, as with any other change.
                users.change(
                    services,
                    step.user,
                    UserChanges(**changes),
                    by=IMPORTER,
                    event=audit.USER_UPDATED,
                    detail=IMPORT_DETAIL,
                )
        except (DuplicateUser, UserNotFound) as exc:
            step.action, step.reasons = SKIP, [f"changed meanwhile: {exc}"]
            continue
        except LastAdminError:
            step.action, step.reasons = SKIP, ["the last active admin cannot lose that role"]
            continue
    if invited:
        added = store.add_invitations([s.name for s in invited], now=now)
        if added:
            audit.record(
                services,
                audit.INVITATIONS_ADDED,
                method="cli",
                detail=f"import-stauth: {len(added)} email(s)",
            )
    return plan


# --- export ------------------------------------------------------------------


@dataclass
class Export:
    config: dict[str, Any]
    exported: int
    left_out: list[str]  # one sentence per group of users not written, and why
    peppered: int  # users whose hash streamlit-authenticator cannot verify


def export_config(services: Services, cookie_name: str = "streamlit_auth") -> Export:
    """Our users as a streamlit-authenticator config. Hashes are written as they are."""
    store = services.store
    config = new_config(cookie_name, secrets.token_urlsafe(32))
    config["cookie"]["expiry_days"] = services.settings.session_lifetime.days
    entries = config["credentials"]["usernames"]
    guests = disabled = no_password = peppered = 0
    offset = 0
    while page := store.list_users(offset=offset, limit=PAGE):
        offset += len(page)
        for user in page:
            if user.is_guest:
                guests += 1
            elif user.disabled:
                disabled += 1
            elif not user.password_hash:
                no_password += 1
            else:
                if not user.password_hash.startswith(("$2a$", "$2b$", "$2y$")):
                    peppered += 1
                entries[_stauth_key(user.username)] = user_entry(
                    email=user.email,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    password=user.password_hash,
                    roles=user.roles,
                    failed_login_attempts=0,
                )
    set_preauthorized(config, [i.email for i in store.list_invitations() if i.used_at is None])
    left_out = [
        text
        for count, text in (
            (guests, "OpenID guests (they have no password)"),
            (disabled, "disabled users (streamlit-authenticator would let them in)"),
            (no_password, "users without a password"),
        )
        if count
        for text in [f"{count} {text}"]
    ]
    return Export(config, len(entries), left_out, peppered)
