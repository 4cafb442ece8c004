"""The sidebar: a menu built from the same page list as the navigation, and sign-out."""

from __future__ import annotations

import streamlit as st
from streamlit_option_menu import option_menu

from auth.guard import sign_out
from auth.navigation import PageSpec
from auth.sessions import Identity

_MENU_KEY = "main_menu"
_TARGET_KEY = "_menu_target"


def _remember_choice(key: str) -> None:
    # Only a click sets the target; navigating by other means must not be undone.
    st.session_state[_TARGET_KEY] = st.session_state[key]


def render_sidebar(
    app_name: str,
    pages: list[PageSpec],
    st_pages: dict[str, st.Page],
    current: st.Page,
    identity: Identity | None,
) -> None:
    """Draw the menu; switch page when the person picked another one."""
    titles = [p.title for p in pages]
    current_index = next((i for i, p in enumerate(pages) if st_pages[p.path] is current), 0)
    with st.sidebar:
        option_menu(
            app_name,
            titles,
            icons=[p.icon for p in pages],
            menu_icon="shield-lock",
            default_index=current_index,
            key=_MENU_KEY,
            on_change=_remember_choice,
        )
        if identity is not None:
            st.caption(f"Signed in as **{identity.user.username}**")
            if st.button("Sign out", icon=":material/logout:", use_container_width=True):
                sign_out(identity)
    target = st.session_state.pop(_TARGET_KEY, None)
    if target in titles and titles.index(target) != current_index:
        st.switch_page(st_pages[pages[titles.index(target)].path])
