"""Self-service registration: who may register (settings), what they may set, what they get.

A registrant sets only username, email, names and password: roles come from
`[registration] default_roles`, and no flag can be chosen (there is no parameter
for it). A taken username or email, and a missing invitation, get one generic
message, so the form cannot be used to find out who has an account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auth.domain import audit, passwords, recovery, users, validators
from auth.domain.recovery import ResetDelivery
from auth.domain.users import ValidationError
from auth.store import DuplicateUser, InvitationError, NewUser, User
from auth.texts import T

if TYPE_CHECKING:
    from auth.config import Settings
    from auth.domain.services import Services

log = logging.getLogger("auth")

INVITE_ONLY, OPEN, DISABLED = "invite_only", "open", "disabled"


@dataclass(frozen=True)
class Registration:
    user: User
    # The verification email, when the new account must confirm its address first.
    verification: ResetDelivery | None = None

    @property
    def can_sign_in(self) -> bool:
        return self.user.email_verified


def domain_problems(settings: Settings, email: str) -> list[str]:
    """Open registration may be limited to some email domains (`[registration] domains`)."""
    allowed = settings.registration_domains
    if settings.registration != OPEN or not allowed:
        return []
    domain = email.rpartition("@")[2].casefold()
    if domain in allowed:
        return []
    return [T.register_domains.format(domains=", ".join(allowed))]


def register(
    services: Services,
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str,
    repeat: str,
    ip: str = "",
) -> Registration:
    """Create an account from the registration form, or raise ValidationError (nothing stored)."""
    settings = services.settings
    if settings.registration not in (INVITE_ONLY, OPEN):
        raise ValidationError([T.register_closed])
    username, email = username.strip(), email.strip()
    first_name, last_name = first_name.strip(), last_name.strip()
    problems = (
        validators.username_problems(username)
        + validators.email_problems(email)
        + ([T.register_enter_first_name] if not first_name else [])
        + validators.strict_name_problems(first_name, T.first_name)
        + ([T.register_enter_last_name] if not last_name else [])
        + validators.strict_name_problems(last_name, T.last_name)
    )
    if not validators.email_problems(email):
        problems += domain_problems(settings, email)
    if password != repeat:
        problems.append(T.passwords_differ)
    else:
        problems += validators.password_problems(
            password,
            min_length=settings.min_password_length,
            context=users.password_context(services, username, email, first_name, last_name),
        )
    if problems:
        raise ValidationError(problems)

    verify = settings.email_verification_required
    try:
        new = NewUser(
            username=username,
            email=email,
            password_hash=passwords.hash_password(
                password, settings.pepper, settings.bcrypt_rounds
            ),
            roles=settings.default_roles,
            first_name=first_name,
            last_name=last_name,
            email_verified=not verify,
            invitation=email if settings.registration == INVITE_ONLY else None,
        )
        user = users.create(
            services,
            new,
            by=users.Actor(username, settings.registration, ip),
            event=audit.REGISTRATION,
            detail="awaiting email verification" if verify else "",
        )
    except (DuplicateUser, InvitationError) as exc:
        reason = "not invited" if isinstance(exc, InvitationError) else f"{exc.field} taken"
        audit.record(
            services,
            audit.REGISTRATION,
            audit.FAILURE,
            target=username,
            method=settings.registration,
            ip=ip,
            detail=reason,
        )
        raise ValidationError([T.register_not_possible]) from None
    delivery = recovery.send_verification(services, user, ip=ip) if verify else None
    return Registration(user=user, verification=delivery)
