"""Streamlit's own identity cookie, `_streamlit_user`, carrying our session token.

Why this cookie: Streamlit reads it at the websocket handshake, before the
first script run (no iframe, no extra rerun), and Community Cloud's proxy only
forwards Streamlit's own cookie names. Its format is internal to Streamlit
(itsdangerous, salt = cookie name, JSON with `origin` and `is_logged_in`), so
requirements.txt pins Streamlit and tests/auth/web/test_cookies.py fails if it changes.
"""

from __future__ import annotations

import json
from typing import Any

from streamlit import config
from streamlit.web.server.server_util import get_cookie_secret
from streamlit.web.server.starlette.starlette_app_utils import (
    create_signed_value,
    decode_signed_value,
)
from streamlit.web.server.starlette.starlette_server_config import (
    AUTH_COOKIE_MAX_AGE_SECONDS,
    USER_COOKIE_NAME,
)

__all__ = ["AUTH_COOKIE_MAX_AGE_SECONDS", "USER_COOKIE_NAME", "base_path", "decode", "encode"]


def encode(*, origin: str, session_token: str, provider: str = "") -> str:
    """The signed cookie value. Only the token and what Streamlit requires: no personal data.

    `provider` (an OpenID Connect sign-in's provider name) makes `st.logout()`
    end the sign-in at that provider's end-session endpoint too.
    """
    payload = {"origin": origin, "is_logged_in": True, "sid": session_token}
    if provider:
        payload["provider"] = provider
    return create_signed_value(get_cookie_secret(), USER_COOKIE_NAME, json.dumps(payload)).decode()


def decode(value: str) -> dict[str, Any] | None:
    """The payload of a cookie value we (or Streamlit) signed; None if forged or stale."""
    raw = decode_signed_value(get_cookie_secret(), USER_COOKIE_NAME, value.encode("latin-1"))
    return json.loads(raw) if raw else None


def base_path() -> str:
    """The URL path the app is served under ("/" unless server.baseUrlPath is set)."""
    configured = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{configured}/" if configured else "/"
