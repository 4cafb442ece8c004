"""Self-service on your own account: name, email, password, sessions, deletion.

Every function takes the verified `Identity` of this run and acts only on
`identity.user`: there is no parameter that could name another user. Input is
checked in full before anything is written, so bad input changes nothing;
problems are raised as `users.ValidationError` with one sentence each. Every
action, done or refused, goes to the audit log.

Guests (signed in through an OpenID Connect provider) have no password here.
They may edit their name, see and end their sessions and delete their account;
their email belongs to the provider, so they cannot change it. Deleting a
guest account asks for the username to be typed instead of a password: that
proves intent and stops a stray click, and someone holding a stolen guest
session could sign in again through the provider anyway.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from auth.domain import audit, mailer, sessions, tokens, users, validators
from auth.domain.sessions import live_sessions, plausible_token
from auth.store import DuplicateUser, LastAdminError, User, UserChanges
from auth.texts import T

if TYPE_CHECKING:
    from auth.domain.services import Services
    from auth.domain.sessions import Identity

log = logging.getLogger("auth")

CHANGE_EMAIL = tokens.CHANGE_EMAIL  # token purpose; the link opens app_pages/verify_email.py
EMAIL_LINK_LIFETIME = timedelta(hours=24)
# Flood control for confirmation emails, per account and per receiving address
# (limits in settings: emails_per_account_per_hour, emails_per_address_per_hour).
EMAIL_WINDOW = timedelta(hours=1)
METHOD = "self"  # audit `method` of actions a user takes on their own account


@dataclass(frozen=True)
class SessionRow:
    """One live sign-in, as the account page lists it."""

    id: str  # the store's id (a hash of the cookie's token, not the token)
    created_at: datetime
    last_seen_at: datetime
    browser: str
    ip: str
    current: bool


def markdown_literal(value: str) -> str:
    """`value` shown as typed in Streamlit markdown: no links, images or emphasis from input."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", value)


def _ip(identity: Identity) -> str:
    return identity.session.ip


def _record(
    services: Services,
    identity: Identity,
    event: str,
    outcome: str = audit.SUCCESS,
    detail: str = "",
) -> None:
    name = identity.user.username
    audit.record(
        services,
        event,
        outcome,
        actor=name,
        target=name,
        method=METHOD,
        ip=_ip(identity),
        detail=detail,
    )


def _check_password(services: Services, identity: Identity, password: str, event: str) -> None:
    """Refuse a wrong password and count it towards the sign-in lockout.

    Someone holding a stolen session cookie must not get unlimited guesses at
    the password through the account page.
    """
    user = identity.user
    current = services.store.get_user(user.id) or user
    check = users.check_password(
        services,
        current,
        password,
        lockout=_actor(identity),
        lockout_detail="account page",
    )
    if check.ok:
        return
    _record(services, identity, event, audit.FAILURE, check.reason)
    raise users.ValidationError(
        [T.account_locked if check.reason == users.LOCKED else T.account_wrong_password]
    )


def _actor(identity: Identity) -> users.Actor:
    return users.Actor(identity.user.username, METHOD, _ip(identity))


# --- name ----------------------------------------------------------------------


def update_name(services: Services, identity: Identity, first_name: str, last_name: str) -> User:
    """Change the first and last name (surrounding spaces dropped; empty is allowed)."""
    first_name, last_name = first_name.strip(), last_name.strip()
    problems = validators.name_problems(first_name, T.first_name) + validators.name_problems(
        last_name, T.last_name
    )
    if problems:
        _record(services, identity, audit.USER_UPDATED, audit.FAILURE, "name refused")
        raise users.ValidationError(problems)
    return users.change(
        services,
        identity.user,
        UserChanges(first_name=first_name, last_name=last_name),
        by=_actor(identity),
        event=audit.USER_UPDATED,
        detail="name",
    )


# --- email ---------------------------------------------------------------------


def request_email_change(
    services: Services, identity: Identity, new_email: str, password: str
) -> bool:
    """Email a confirmation link to `new_email`; the address changes when it is opened.

    Needs the current password. Returns whether the mail is being sent (False: SMTP
    is not configured, the link is in the server log for an administrator). A taken
    address gets the same answer as a free one, and no mail, so the form does not
    tell who has an account.
    """
    user, store, now = identity.user, services.store, services.now()
    new_email = new_email.strip()
    if user.is_guest:
        raise users.ValidationError([T.account_email_from_provider])
    problems = validators.email_problems(new_email)
    if not problems and new_email.casefold() == user.email.casefold():
        problems = [T.account_same_email]
    if problems:
        _record(services, identity, audit.EMAIL_CHANGE, audit.FAILURE, "address refused")
        raise users.ValidationError(problems)
    _check_password(services, identity, password, audit.EMAIL_CHANGE)

    account_hits = store.hit_counter(f"{CHANGE_EMAIL}:user:{user.id}", now=now, window=EMAIL_WINDOW)
    address_hits = store.hit_counter(
        f"{CHANGE_EMAIL}:to:{new_email.casefold()}", now=now, window=EMAIL_WINDOW
    )
    settings = services.settings
    if (
        account_hits > settings.emails_per_account_per_hour
        or address_hits > settings.emails_per_address_per_hour
    ):
        _record(services, identity, audit.EMAIL_CHANGE, audit.FAILURE, "rate limited")
        raise users.ValidationError([T.account_too_many_emails])

    # Only the newest link works: an older one may have gone to a mistyped address.
    tokens.delete_all(services, user, CHANGE_EMAIL)
    owner = store.find_user(new_email)
    if owner is not None and owner.id != user.id:
        _record(services, identity, audit.EMAIL_CHANGE, audit.FAILURE, "address taken")
        return True
    secret = tokens.issue_token(
        services, user, CHANGE_EMAIL, email=new_email, lifetime=EMAIL_LINK_LIFETIME
    )
    app = services.settings.app_name
    hours = int(EMAIL_LINK_LIFETIME.total_seconds() // 3600)
    # Sent from a background thread, like every mail a person could use to tell
    # accounts apart: how long SMTP takes must not show whether the address was free.
    mailer.send_mail_later(
        services,
        new_email,
        T.mail_email_change_subject.format(app=app),
        T.mail_email_change_body.format(
            name=user.display_name,
            username=user.username,
            app=app,
            hours=hours,
            link=tokens.link(services, CHANGE_EMAIL, secret),
        ),
    )
    _record(services, identity, audit.EMAIL_CHANGE, detail="confirmation sent")
    return services.settings.smtp is not None


def confirm_email_change(services: Services, secret: str, *, ip: str = "") -> User | None:
    """Redeem a confirmation link (once); the address changes and the old one is told.

    Returns the updated user, or None when the link is unknown, used, expired, or
    the address was taken in the meantime. Needs no sign-in: the link may be
    opened in another browser, and holding it is the proof. The confirmation
    page (app_pages/verify_email.py, through `recovery.verify_link`) calls it.
    """
    if not plausible_token(secret):
        return None
    token = tokens.redeem(services, secret, CHANGE_EMAIL)
    store = services.store
    user = store.get_user(token.user_id) if token else None
    if token is None or user is None or user.is_guest:
        return None

    by = users.Actor(user.username, "email", ip)
    try:
        # The service deletes every link mailed before: none may work after the change.
        updated = users.change(
            services,
            user,
            UserChanges(email=token.email, email_verified=True),
            by=by,
            event=audit.EMAIL_CHANGE,
            detail="confirmed",
        )
    except DuplicateUser:
        audit.record(
            services,
            audit.EMAIL_CHANGE,
            audit.FAILURE,
            actor=by.username,
            target=user.username,
            method=by.method,
            ip=ip,
            detail="address taken meanwhile",
        )
        return None
    log.info("email changed user=%s", user.username)
    if user.email:
        app = services.settings.app_name
        mailer.send_mail(
            services,
            user.email,
            T.mail_email_changed_subject.format(app=app),
            T.mail_email_changed_body.format(
                name=user.display_name, username=user.username, app=app, email=updated.email
            ),
        )
    return updated


# --- password ------------------------------------------------------------------


def change_password(
    services: Services, identity: Identity, current: str, new: str, repeat: str
) -> User:
    """`users.change_own_password`: current password needed, other sessions end.

    That function writes the audit events (each refusal and the change) itself.
    """
    return users.change_own_password(services, identity, current, new, repeat, ip=_ip(identity))


# --- sessions ------------------------------------------------------------------

# (marker in the user agent, name); the first match wins, so order matters:
# Edge and Opera also say "Chrome", Chrome also says "Safari", iOS says "Mac OS X".
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def browser_summary(user_agent: str) -> str:
    """'Firefox on Linux' from a user agent; 'Unknown browser' when it says nothing known."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return T.account_browser_on_system.format(browser=browser, system=system)
    if browser:
        return browser
    return T.account_browser_on.format(system=system) if system else T.account_unknown_browser


def session_rows(services: Services, identity: Identity) -> list[SessionRow]:
    """The user's live sessions, this one first, then the most recently used."""
    current = identity.session.id
    rows = [
        SessionRow(
            id=s.id,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            browser=browser_summary(s.user_agent),
            ip=s.ip,
            current=s.id == current,
        )
        for s in live_sessions(services, identity.user)
    ]
    return sorted(rows, key=lambda r: (not r.current, -r.last_seen_at.timestamp()))


def end_session(services: Services, identity: Identity, session_id: str) -> bool:
    """Sign out one of the user's own sessions; False when it is not theirs or already over."""
    own = {s.id for s in live_sessions(services, identity.user)}
    if session_id not in own:
        return False
    sessions.revoke(services, session_id)
    _record(services, identity, audit.SESSIONS_REVOKED, detail="one session")
    return True


def end_other_sessions(services: Services, identity: Identity) -> int:
    """Sign out every session of the user but this one; returns how many ended."""
    by = _actor(identity)
    # The count is only known afterwards: the service writes the detail with it.
    return users.revoke_sessions(
        services,
        identity.user,
        keep=identity.session.id,
        actor=by.username,
        method=by.method,
        ip=by.ip,
        detail="{count} other sessions",
    )


# --- deletion ------------------------------------------------------------------


def delete_account(
    services: Services, identity: Identity, *, confirmation: str, password: str = ""
) -> None:
    """Delete the user's own account with every session and pending link.

    `confirmation` must be the username, typed exactly. Password users also give
    their password (wrong ones count towards the lockout); guests have none (see
    the module's docstring). The last active admin cannot delete themselves.
    """
    user = identity.user
    if confirmation != user.username:
        _record(services, identity, audit.USER_DELETED, audit.FAILURE, "confirmation mismatch")
        raise users.ValidationError([T.account_delete_mismatch.format(username=user.username)])
    if not user.is_guest:
        _check_password(services, identity, password, audit.USER_DELETED)
    try:
        users.delete(services, user, by=_actor(identity), detail="own account")
    except LastAdminError:
        _record(services, identity, audit.USER_DELETED, audit.FAILURE, "last admin")
        raise users.ValidationError([T.account_last_admin]) from None
    log.info("account deleted by its user user=%s", user.username)
