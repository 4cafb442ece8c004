"""The one guard. Every page and main.py call it; it checks the store once per script run.

`st.user` only says what the browser's cookie said when the page was loaded;
whether that sign-in still stands (expired, idle, revoked, user disabled or
deleted, roles changed) is decided here, against the store, on every run.
main.py verifies at the start of the run (`verified_run()`) and the page it runs
reuses that answer; a page run on its own (AppTest) or a fragment rerun, where
main.py does not run, verifies for itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import streamlit as st

from auth.domain.sessions import Identity, end_session, verify_session
from auth.texts import T
from auth.web.client import current_client
from auth.web.services import get_services

# The answer main.py got for the run under way (None: not signed in), unset outside it.
# Not session state: after st.stop() every session-state access raises StopException
# again (Streamlit 1.67), so a `finally` could not remove it there, and a page widget
# could use the same key. A context variable belongs to the script thread, which runs
# one script run at a time, and resetting it cannot fail.
# A one-item tuple while a run is under way, empty outside one.
_run_identity: ContextVar[tuple[Identity | None, ...]] = ContextVar(
    "auth_guard_run_identity", default=()
)


def _session_token() -> str | None:
    user = st.user
    if not user.get("is_logged_in"):
        return None
    token = user.get("sid")
    return token if isinstance(token, str) else None


def _verify() -> Identity | None:
    """Check the cookie's session against the store; a stale cookie is cleared (st.stop)."""
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


@contextmanager
def verified_run() -> Iterator[Identity | None]:
    """For main.py: verify once, and let this run's page reuse the answer until the run ends.

    The answer is forgotten when the block exits, however it exits (st.stop,
    st.rerun and st.switch_page raise), so the next run verifies again.
    """
    identity = _verify()
    reset = _run_identity.set((identity,))
    try:
        yield identity
    finally:
        _run_identity.reset(reset)


def current_identity() -> Identity | None:
    """The verified identity of this run, or None. A stale cookie is cleared on the way."""
    verified = _run_identity.get()
    return verified[0] if verified else _verify()


def require_role(*roles: str) -> Identity:
    """Stop the page unless a verified user holding every one of `roles` is signed in.

    `require_role()` with no roles asks only for a signed-in user.
    """
    identity = current_identity()
    if identity is None or identity.user.must_change_password:
        st.warning(T.guard_sign_in_first)
        st.stop()
    if not set(roles) <= set(identity.roles):
        st.error(T.guard_not_allowed)
        st.stop()
    return identity


def sign_out() -> None:
    """Revoke this browser's session in the store, then drop the cookie."""
    end_session(get_services(), _session_token(), ip=current_client().ip)
    st.logout()
    st.stop()
