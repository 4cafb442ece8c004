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


def current_client() -> Client:
    headers = st.context.headers
    origin = headers.get("Origin") or ""
    if not origin and st.context.url:
        parts = urlsplit(st.context.url)
        origin = f"{parts.scheme}://{parts.netloc}"
    return Client(
        origin=origin[:255],
        user_agent=(headers.get("User-Agent") or "")[:512],
        ip=(st.context.ip_address or "")[:64],
    )
