"""What the script knows about the browser it serves (from the websocket handshake)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st


@dataclass(frozen=True)
class Client:
    origin: str  # scheme://host[:port], as the browser sent it
    user_agent: str
    ip: str


def _text(value: object, limit: int) -> str:
    # Outside a browser session (AppTest, bare mode) these may be None or mocks.
    return value[:limit] if isinstance(value, str) else ""


def current_client() -> Client:
    headers = st.context.headers
    origin = _text(headers.get("Origin"), 255)
    url = _text(st.context.url, 2048)
    if not origin and url:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"[:255]
    return Client(
        origin=origin,
        user_agent=_text(headers.get("User-Agent"), 512),
        ip=_text(st.context.ip_address, 64),
    )
