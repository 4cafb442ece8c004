"""Emailed single-use tokens: password reset, email verification, email change.

A token is 256 random bits (`secrets.token_urlsafe(32)`); the store keeps only
its SHA-256, so a copy of the database cannot be used to reset a password.
Redeeming deletes it (once only) and refuses it after its expiry. Setting a
password deletes the user's reset tokens (auth/domain/users.py).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from auth.domain.sessions import plausible_token, token_id
from auth.store import TOKEN_PURPOSES, Token, User

if TYPE_CHECKING:
    from auth.domain.services import Services

RESET_PASSWORD = "reset_password"  # noqa: S105 (a token purpose)
VERIFY_EMAIL = "verify_email"
CHANGE_EMAIL = "change_email"

# The page each purpose's link opens (its url_path in navigation.py).
LINK_PAGES = {
    RESET_PASSWORD: "reset_password",
    VERIFY_EMAIL: "verify_email",
    CHANGE_EMAIL: "verify_email",  # the page handles both (recovery.verify_link)
}


def issue_token(
    services: Services, user: User, purpose: str, *, email: str | None = None, lifetime: timedelta
) -> str:
    """Store a new token for `user` and return its secret (for the link; shown nowhere else).

    `email` is the address the link goes to (default: the user's).
    """
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"purpose must be one of {TOKEN_PURPOSES}")
    if lifetime <= timedelta(0):
        raise ValueError("lifetime must be positive")
    secret = _new_secret()
    now = services.now()
    services.store.add_token(
        Token(
            id=token_id(secret),
            purpose=purpose,
            user_id=user.id,
            email=user.email if email is None else email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return secret


def delete_all(services: Services, user: User, purpose: str | None = None) -> int:
    """Delete the user's pending tokens (of one purpose, or all): their links stop working."""
    return services.store.delete_tokens(user.id, purpose)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def redeem(services: Services, secret: object, purpose: str) -> Token | None:
    """The token if `secret` is a live token of `purpose`; it is used up either way."""
    if not plausible_token(secret):
        return None
    return services.store.redeem_token(token_id(secret), purpose=purpose, now=services.now())


def link(services: Services, purpose: str, secret: str) -> str:
    """The URL to email: the configured base URL (never the request's Host header)."""
    page = LINK_PAGES[purpose]
    return f"{services.settings.base_url}/{page}?token={quote(secret, safe='')}"
