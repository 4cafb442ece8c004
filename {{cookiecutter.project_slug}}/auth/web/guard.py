"""The one guard. Every page and main.py call it; it checks the store on every run.

`st.user` only says what the browser's cookie said when the page was loaded;
whether that sign-in still stands (expired, idle, revoked, user disabled or
deleted, roles changed) is decided here, against the store, each time.
"""

from __future__ import annotations

import streamlit as st

from auth.domain.sessions import Identity, end_session, verify_session
from auth.web.client import current_client
from auth.web.services import get_services

NOT_ALLOWED_MESSAGE = "You do not have access to this page."


def _session_token() -> str | None:
    user = st.user
    if not user.get("is_logged_in"):
        return None
    token = user.get("sid")
    return token if isinstance(token, str) else None


def current_identity() -> Identity | None:
    """The verified identity of this run, or None. A stale cookie is cleared on the way."""
    token = _session_token()
    if token is None:
        return None
    identity = verify_session(get_services(), token)
    if identity is None:
        # Expired, revoked or the user is gone: drop the cookie (st.logout
        # reloads the page without it), so the browser stops presenting it.
        st.logout()
        st.stop()
    return identity


def require_role(*roles: str) -> Identity:
    """Stop the page unless a verified user holding every one of `roles` is signed in.

    `require_role()` with no roles asks only for a signed-in user.
    """
    identity = current_identity()
    if identity is None or identity.user.must_change_password:
        st.warning("Please sign in.")
        st.stop()
    if not set(roles) <= set(identity.roles):
        st.error(NOT_ALLOWED_MESSAGE)
        st.stop()
    return identity


def sign_out() -> None:
    """Revoke this browser's session in the store, then drop the cookie."""
    end_session(get_services(), _session_token(), ip=current_client().ip)
    st.logout()
    st.stop()
