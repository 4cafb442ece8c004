"""Password reset, username reminder and email verification by emailed single-use links.

Enumeration-safe: `forgot_password` and `forgot_username` do the same visible
thing whether or not an account matches (the page shows one fixed message, and
mail leaves from a background thread so SMTP's latency cannot be timed). Flood
control counts emails per account and per client address in the store, so a new
browser tab or replica does not reset it.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from auth.domain import account, audit, mailer, tokens, users, validators
from auth.domain.users import ValidationError
from auth.store import Token, User, UserChanges
from auth.texts import T

if TYPE_CHECKING:
    from auth.domain.services import Services

log = logging.getLogger("auth")

MAX_LOGIN_CHARS = 254
RATE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ResetDelivery:
    """How a link reached the user. `link` only when it could not be emailed (hand it over once)."""

    emailed: bool
    link: str | None = None


def _subject(services: Services, template: str) -> str:
    return template.format(app=services.settings.app_name)[: mailer.MAX_SUBJECT_CHARS]


def _within_rate(services: Services, user: User | None, ip: str) -> bool:
    """Count one email towards the account's and the address's hourly limit."""
    settings, now, store = services.settings, services.now(), services.store
    ok = True
    if ip:
        hits = store.hit_counter(f"mail:address:{ip}", now=now, window=RATE_WINDOW)
        ok = hits <= settings.emails_per_address_per_hour
    if user is not None:
        hits = store.hit_counter(f"mail:account:{user.id}", now=now, window=RATE_WINDOW)
        ok = ok and hits <= settings.emails_per_account_per_hour
    return ok


def _clean_login(text: str, missing: str, invalid: str) -> str:
    """`text` stripped; ValidationError(`missing`) when empty, (`invalid`) when unusable."""
    text = (text or "").strip()
    if not text:
        raise ValidationError([missing])
    if len(text) > MAX_LOGIN_CHARS or any(
        unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text
    ):
        raise ValidationError([invalid])
    return text


# --- password reset ---------------------------------------------------------------


def _reset_mail(services: Services, user: User, link: str) -> tuple[str, str]:
    minutes = int(services.settings.reset_link_lifetime.total_seconds() // 60)
    body = T.mail_reset_body.format(
        name=user.display_name,
        username=user.username,
        app=services.settings.app_name,
        minutes=minutes,
        link=link,
    )
    return _subject(services, T.mail_reset_subject), body


def start_password_reset(
    services: Services, user: User, *, actor: str = "", ip: str = "", background: bool = False
) -> ResetDelivery:
    """Issue a reset link for `user` and email it.

    The link is returned only when it could not be emailed (no SMTP), so that
    an administrator can hand it over once. `background`: send from a thread
    and report nothing back (the anonymous forgot-password page).
    """
    settings = services.settings
    secret = tokens.issue_token(
        services, user, tokens.RESET_PASSWORD, lifetime=settings.reset_link_lifetime
    )
    link = tokens.link(services, tokens.RESET_PASSWORD, secret)
    subject, body = _reset_mail(services, user, link)
    if background:
        mailer.send_mail_later(services, user.email, subject, body)
        emailed = settings.smtp is not None
    else:
        emailed = mailer.send_mail(services, user.email, subject, body)
    audit.record(
        services,
        audit.PASSWORD_RESET_REQUEST,
        actor=actor,
        target=user.username,
        method="admin" if actor else "email",
        ip=ip,
        detail="link emailed" if emailed else "link not emailed (no SMTP): handed over",
    )
    return ResetDelivery(emailed=emailed, link=None if emailed or background else link)


def forgot_password(services: Services, login_or_email: str, *, ip: str = "") -> None:
    """Email a reset link if `login_or_email` names an account that may reset.

    Raises ValidationError only for input that is bad whatever accounts exist;
    otherwise the caller shows T.forgot_password_sent in every case. Locked
    accounts can reset; disabled accounts and guests (no password) cannot.
    """
    login = _clean_login(login_or_email, T.forgot_password_enter_login, T.forgot_password_bad_login)
    user = services.store.find_user(login)
    refused = ""
    if user is None:
        refused = "no such account"
    elif user.disabled:
        refused = "disabled"
    elif user.is_guest:
        refused = "guest account (no password)"
    if not _within_rate(services, user if not refused else None, ip):
        refused = refused or "too many emails"
    if refused or user is None:  # user is None only when refused
        audit.record(
            services,
            audit.PASSWORD_RESET_REQUEST,
            audit.FAILURE,
            target=user.username if user else login,
            method="email",
            ip=ip,
            detail=refused,
        )
        return
    start_password_reset(services, user, ip=ip, background=True)


def reset_password(
    services: Services, secret: str, new_password: str, repeat: str | None = None, *, ip: str = ""
) -> User:
    """Set a new password with a reset link's secret; every session of the user ends.

    No sign-in follows: the user signs in with the new password. A locked
    account is unlocked. Raises ValidationError (bad link, policy, mismatch);
    a link whose new password breaks the policy stays usable for another try.
    """
    if repeat is not None and new_password != repeat:
        raise ValidationError([T.passwords_differ])
    token = tokens.redeem(services, secret, tokens.RESET_PASSWORD)
    user = services.store.get_user(token.user_id) if token else None
    if (
        token is None
        or user is None
        or user.disabled
        or user.is_guest
        or token.email.casefold() != user.email.casefold()
    ):
        audit.record(
            services,
            audit.PASSWORD_RESET,
            audit.FAILURE,
            target=user.username if user else "",
            method="email",
            ip=ip,
            detail="invalid, used or expired link",
        )
        raise ValidationError([T.invalid_link])
    try:
        # The link reached the address on file: that proves it.
        user = users.set_password(
            services, user, new_password, also=UserChanges(email_verified=True)
        )
    except ValidationError:
        services.store.add_token(token)  # not used up by a password the policy refused
        raise
    if user.locked_until is not None or user.failed_logins:
        # A locked-out owner may sign in with the new password at once.
        user = users.unlock(services, user, actor=user.username, method="email", ip=ip)
    audit.record(services, audit.PASSWORD_RESET, target=user.username, method="email", ip=ip)
    mailer.send_mail(
        services,
        user.email,
        _subject(services, T.mail_password_changed_subject),
        T.mail_password_changed_body.format(
            name=user.display_name, username=user.username, app=services.settings.app_name
        ),
    )
    return user


# --- username reminder --------------------------------------------------------------


def forgot_username(services: Services, email: str, *, ip: str = "") -> None:
    """Email the username to `email` if an account uses it; the caller shows one message."""
    email = _clean_login(email, T.forgot_username_enter_email, T.forgot_username_bad_email)
    if validators.email_problems(email):
        raise ValidationError([T.email_invalid])
    user = services.store.find_user(email)
    if user is not None and user.email.casefold() != email.casefold():
        user = None  # the text matched someone's username, not an email
    refused = "" if user is not None else "no such email"
    if not _within_rate(services, user, ip):
        refused = refused or "too many emails"
    audit.record(
        services,
        audit.USERNAME_REMINDER,
        audit.FAILURE if refused else audit.SUCCESS,
        target=user.username if user else email,
        method="email",
        ip=ip,
        detail=refused,
    )
    if refused or user is None:  # user is None only when refused
        return
    mailer.send_mail_later(
        services,
        user.email,
        _subject(services, T.mail_username_subject),
        T.mail_username_body.format(
            name=user.display_name, username=user.username, app=services.settings.app_name
        ),
    )


# --- email verification ------------------------------------------------------------


def send_verification(
    services: Services, user: User, *, email: str | None = None, ip: str = "", actor: str = ""
) -> ResetDelivery:
    """Email a link that confirms `email` (default: the user's) belongs to them.

    Rate-limited per account and address: over the limit nothing is sent and
    the delivery says not emailed, without a link.
    """
    if not _within_rate(services, user, ip):
        audit.record(
            services,
            audit.EMAIL_VERIFICATION,
            audit.FAILURE,
            actor=actor,
            target=user.username,
            method="email",
            ip=ip,
            detail="too many emails",
        )
        return ResetDelivery(emailed=False)
    address = user.email if email is None else email
    secret = tokens.issue_token(
        services,
        user,
        tokens.VERIFY_EMAIL,
        email=address,
        lifetime=services.settings.verify_link_lifetime,
    )
    link = tokens.link(services, tokens.VERIFY_EMAIL, secret)
    hours = int(services.settings.verify_link_lifetime.total_seconds() // 3600)
    emailed = mailer.send_mail(
        services,
        address,
        _subject(services, T.mail_verify_subject),
        T.mail_verify_body.format(
            name=user.display_name,
            username=user.username,
            app=services.settings.app_name,
            hours=hours,
            link=link,
        ),
    )
    audit.record(
        services,
        audit.EMAIL_VERIFICATION,
        actor=actor,
        target=user.username,
        method="email",
        ip=ip,
        detail="link emailed" if emailed else "link not emailed (no SMTP)",
    )
    return ResetDelivery(emailed=emailed, link=None if emailed else link)


def resend_verification(services: Services, user_id: int, *, ip: str = "") -> None:
    """Send the confirmation link again to a user who tried to sign in unconfirmed.

    Says nothing back: the page shows one message whether or not a mail left.
    """
    user = services.store.get_user(user_id)
    if user is not None and not user.email_verified:
        send_verification(services, user, ip=ip)


def verify_email(services: Services, secret: str, *, ip: str = "") -> User | None:
    """Mark the user's email verified with a link's secret; None for a bad or stale link.

    The link only counts for the address it was sent to: if the account's email
    changed since, it is refused.
    """
    token: Token | None = tokens.redeem(services, secret, tokens.VERIFY_EMAIL)
    user = services.store.get_user(token.user_id) if token else None
    if token is None or user is None or token.email.casefold() != user.email.casefold():
        audit.record(
            services,
            audit.EMAIL_VERIFICATION,
            audit.FAILURE,
            target=user.username if user else "",
            method="email",
            ip=ip,
            detail="invalid, used or expired link",
        )
        return None
    user = users.change(
        services,
        user,
        UserChanges(email_verified=True),
        by=users.Actor("", "email", ip),
        event=audit.EMAIL_VERIFICATION,
        detail="verified",
    )
    tokens.delete_all(services, user, tokens.VERIFY_EMAIL)  # the other links are spent
    return user


def verify_link(services: Services, secret: str, *, ip: str = "") -> User | None:
    """What the confirmation page does with a link: verify an address or apply an email change."""
    # The email change is the account page's (auth/domain/account.py): it also tells the old
    # address. It goes first because it audits nothing for a link that is not its own.
    return account.confirm_email_change(services, secret, ip=ip) or verify_email(
        services, secret, ip=ip
    )
