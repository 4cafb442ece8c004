"""Guest sign-in through OpenID Connect providers, on top of Streamlit's `st.login`.

Streamlit (Authlib) runs the OAuth flow and checks state, nonce and the ID
token's signature; its cookie then carries the token's claims and `provider`,
but not our session. On that run `begin_guest_sign_in` finds or provisions the
local guest and issues the same one-time ticket a password sign-in gets, so the
guest ends up with an ordinary server-side session checked on every run.

Rules:
- A guest is keyed on (provider, subject), never on email: another provider or
  a changed email cannot take over an account.
- An OpenID sign-in never links to an existing account. The guest's email is
  stored only when the provider says it is verified (`email_verified`); a
  verified email that already belongs to another account is refused at first
  sign-in (that person signs in the way they did before) and left unchanged on a
  later one. An unverified email is not stored, so it never clashes or links.
- With `[guests] allowed_email_domains`, only verified emails in exactly those
  domains (not their subdomains) get in.
- Later sign-ins update the name and email; roles and the disabled flag are the
  admins' and never change here. Disabled or locked guests are refused.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from auth.config import PLACEHOLDER_PREFIXES
from auth.domain import audit, users
from auth.domain.login import SignInResult
from auth.domain.sessions import issue_ticket
from auth.domain.validators import MAX_EMAIL_CHARS, MAX_NAME_CHARS, email_problems
from auth.store import DuplicateIdentity, DuplicateUser, NewUser, User, UserChanges
from auth.texts import T

if TYPE_CHECKING:
    from auth.domain.services import Services

log = logging.getLogger("auth")

# What the sign-in page calls each provider: brand names, and a text for "generic".
LABELS = {
    "google": "Google",
    "microsoft": "Microsoft",
    "okta": "Okta",
    "auth0": "Auth0",
    "generic": T.oidc_generic_provider,
}
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
MAX_SUBJECT_CHARS = 255


@dataclass(frozen=True)
class Claims:
    """What we use of the ID token, cleaned."""

    provider: str
    subject: str
    email: str  # "" unless present and well-formed
    email_verified: bool
    first_name: str
    last_name: str

    @property
    def verified_email(self) -> str:
        return self.email if self.email_verified else ""


def _clean(value: object, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")
    return value.strip()[:limit]


def pending_provider(user_info: Mapping[str, Any]) -> str | None:
    """The provider when Streamlit's cookie is a fresh `st.login` (claims, no session yet)."""
    if not user_info.get("is_logged_in") or "sid" in user_info:
        return None
    provider = user_info.get("provider")
    return provider if isinstance(provider, str) and provider else None


def read_claims(user_info: Mapping[str, Any]) -> Claims | None:
    """The claims of a fresh `st.login`, or None when they are unusable (no subject...)."""
    provider = pending_provider(user_info)
    subject = user_info.get("sub")
    if provider is None or not isinstance(subject, str):
        return None
    if not 0 < len(subject) <= MAX_SUBJECT_CHARS or subject != subject.strip():
        return None
    email = _clean(user_info.get("email"), MAX_EMAIL_CHARS + 1)
    if email_problems(email):
        email = ""
    # Some providers send the flag as a string.
    verified = user_info.get("email_verified") in (True, "true")
    first = _clean(user_info.get("given_name"), MAX_NAME_CHARS)
    last = _clean(user_info.get("family_name"), MAX_NAME_CHARS)
    if not first and not last:
        first = _clean(user_info.get("name"), MAX_NAME_CHARS)
    return Claims(provider, subject, email, bool(email and verified), first, last)


def guest_username(provider: str, subject: str) -> str:
    """A stable, unique-enough username: the provider and a digest of the subject."""
    digest = hashlib.sha256(f"{provider}\0{subject}".encode()).hexdigest()
    return f"{provider}-{digest[:12]}"


def configured_providers(
    chosen: tuple[str, ...], secrets: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """(ready, not set up): chosen providers with and without usable secrets."""
    auth = secrets.get("auth") or {}
    redirect_ok = isinstance(auth.get("redirect_uri"), str) and auth["redirect_uri"].endswith(
        "/oauth2callback"
    )
    ready: list[str] = []
    missing: list[str] = []
    for name in chosen:
        section: Any = auth.get(name)  # whatever secrets.toml holds
        ok = redirect_ok and isinstance(section, Mapping)
        for key in PROVIDER_KEYS:
            value: Any = section.get(key) if ok else None
            ok = ok and isinstance(value, str) and value.strip() != ""
            ok = ok and not value.lower().startswith(PLACEHOLDER_PREFIXES)
        (ready if ok else missing).append(name)
    return ready, missing


@dataclass(frozen=True)
class GuestOutcome:
    user: User | None
    message: str = ""  # for the visitor when refused
    reason: str = ""  # for the audit log when refused


def _refuse(
    services: Services, target: str, provider: str, message: str, reason: str, ip: str
) -> GuestOutcome:
    audit.record(
        services,
        audit.SIGN_IN,
        audit.FAILURE,
        target=target,
        method=provider,
        ip=ip,
        detail=reason,
    )
    log.info("sign-in failed method=%s user=%s reason=%s ip=%s", provider, target, reason, ip)
    return GuestOutcome(None, message, reason)


def _domain_allowed(services: Services, claims: Claims) -> bool:
    domains = services.settings.guest_email_domains
    if not domains:
        return True
    email = claims.verified_email.lower()
    return bool(email) and email.rsplit("@", 1)[1] in domains


def _provision(services: Services, claims: Claims, ip: str) -> User | None:
    """Create the guest; None when its verified email belongs to another account."""
    store = services.store
    # Guest usernames are guessable, so one may be taken already: then a random one.
    usernames = (
        guest_username(claims.provider, claims.subject),
        f"{claims.provider}-{secrets.token_hex(8)}",
    )
    for username in usernames:
        try:
            new = NewUser(
                username=username,
                email=claims.verified_email,
                password_hash=None,
                roles=services.settings.guest_roles,
                first_name=claims.first_name,
                last_name=claims.last_name,
                email_verified=claims.email_verified,
                identity=(claims.provider, claims.subject),
            )
            return users.create(
                services,
                new,
                by=users.Actor(username, claims.provider, ip),
                event=audit.GUEST_PROVISIONED,
            )
        except (DuplicateIdentity, DuplicateUser) as exc:
            existing = store.find_user_by_identity(claims.provider, claims.subject)
            if existing is not None:  # another run provisioned this guest a moment ago
                return existing
            if isinstance(exc, DuplicateIdentity):
                raise
            if exc.field == "email":
                return None
            continue
    raise DuplicateUser("username")


def _refresh(services: Services, user: User, claims: Claims, ip: str) -> User:
    """Take over the provider's current name and (verified) email."""
    name = UserChanges(first_name=claims.first_name, last_name=claims.last_name)
    by = users.Actor(user.username, claims.provider, ip)

    def apply(changes: UserChanges) -> User:
        return users.change(
            services, user, changes, by=by, event=audit.USER_UPDATED, detail="from the provider"
        )

    try:
        return apply(
            replace(name, email=claims.verified_email, email_verified=claims.email_verified)
            if user.email != claims.verified_email
            else name
        )
    except DuplicateUser:
        # The new email belongs to someone else: keep the old one, still update the name.
        return apply(name)


def sign_in_guest(
    services: Services, user_info: Mapping[str, Any], *, ip: str = ""
) -> GuestOutcome:
    """Find or provision the guest for a fresh `st.login`, applying every rule above."""
    claims = read_claims(user_info)
    provider = pending_provider(user_info) or ""
    if claims is None:
        return _refuse(services, "", provider, T.oidc_failed, "unusable claims", ip)
    # Until the guest exists, the audit names the username it would get.
    target = guest_username(claims.provider, claims.subject)
    if provider not in services.settings.oidc_providers:
        return _refuse(services, target, provider, T.oidc_failed, "provider not enabled", ip)
    if not _domain_allowed(services, claims):
        reason = "email domain not allowed" if claims.verified_email else "no verified email"
        return _refuse(services, target, provider, T.oidc_domain_refused, reason, ip)

    user = services.store.find_user_by_identity(claims.provider, claims.subject)
    if user is None:
        user = _provision(services, claims, ip)
        if user is None:
            reason = "email belongs to an account"
            return _refuse(services, target, provider, T.oidc_email_taken, reason, ip)
    now = services.now()
    if user.disabled:
        return _refuse(services, user.username, provider, T.oidc_refused, "disabled", ip)
    if user.is_locked(now):
        return _refuse(services, user.username, provider, T.oidc_refused, "locked", ip)
    user = _refresh(services, user, claims, ip)
    services.store.record_login_success(user.id, now=now)
    return GuestOutcome(user)


def begin_guest_sign_in(
    services: Services,
    user_info: Mapping[str, Any],
    *,
    origin: str,
    user_agent: str = "",
    ip: str = "",
) -> SignInResult:
    """What the sign-in page does after `st.login`: the guest, then a one-time ticket.

    The ticket's method is the provider's name, so the route keeps `provider`
    in the session cookie and `st.logout()` reaches the provider's end-session
    endpoint.
    """
    outcome = sign_in_guest(services, user_info, ip=ip)
    if outcome.user is None:
        return SignInResult(None, outcome.message)
    user, provider = outcome.user, pending_provider(user_info) or ""
    ticket = issue_ticket(
        services, user, origin=origin, method=provider, user_agent=user_agent, ip=ip
    )
    if ticket is None:
        _refuse(services, user.username, provider, "", "too many users", ip)
        return SignInResult(None, T.sign_in_too_many_users)
    audit.record(
        services, audit.SIGN_IN, actor=user.username, target=user.username, method=provider, ip=ip
    )
    log.info("sign-in ok method=%s user=%s ip=%s", provider, user.username, ip)
    return SignInResult(ticket)
