"""Links between pages (sign-in, registration, recovery)."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from navigation import PAGES


def page_link(path: str, label: str, icon: str | None = None) -> None:
    """`st.page_link` to a page of this app ("app_pages/x.py"), which PAGES must list.

    A page script run on its own (AppTest) has no navigation to link into: it
    gets a plain link to the page's address instead.
    """
    spec = next((page for page in PAGES if page.path == path), None)
    if spec is None:
        raise LookupError(f"no page {path} in navigation.PAGES")
    try:
        st.page_link(path, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.markdown(f"[{label}](/{spec.url_path})")
