"""Send the browser to a URL from a script run, without an iframe.

A `st.components.v2` component runs inline in the page itself; its one job is
`location.replace`, so the ticket URL does not stay in the history.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function ({ data }) {
  if (data && typeof data.url === "string" && data.url.startsWith("/")) {
    window.location.replace(data.url);
  }
}
"""

_redirect = st.components.v2.component("auth_redirect", js=_JS)


def redirect(url: str) -> None:
    """Navigate to a same-origin path (it must start with "/")."""
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("only same-origin paths may be redirected to")
    _redirect(data={"url": url}, key="auth_redirect")
