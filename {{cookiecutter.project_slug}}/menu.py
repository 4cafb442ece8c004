"""The sidebar: a menu built from the same page list as the navigation, and sign-out.

The sidebar is drawn after the page (main.py), so the page's content reaches the
browser first and the menu's iframe loads behind it. What the person clicked in
the sidebar is acted on at the start of the next run, before the page runs.
"""

from __future__ import annotations

import streamlit as st
from streamlit_option_menu import option_menu

from auth.domain.sessions import Identity
from auth.texts import T
from auth.web import keys
from auth.web.guard import sign_out
from navigation import PageSpec, menu_pages


def _remember_choice(key: str) -> None:
    # Only a click sets the target; navigating by other means must not be undone.
    st.session_state[keys.MENU_TARGET] = st.session_state[key]


def _current_index(pages: list[PageSpec], st_pages: dict[str, st.Page], current: st.Page) -> int:
    return next((i for i, p in enumerate(pages) if st_pages[p.path] is current), 0)


def follow_sidebar_clicks(
    pages: list[PageSpec],
    st_pages: dict[str, st.Page],
    current: st.Page,
    identity: Identity | None,
) -> None:
    """Sign out or switch page if that is what the last click in the sidebar asked for."""
    if identity is not None and st.session_state.get(keys.SIGN_OUT):
        sign_out()
    target = st.session_state.pop(keys.MENU_TARGET, None)
    titles = [p.title for p in pages]
    if target in titles and titles.index(target) != _current_index(pages, st_pages, current):
        st.switch_page(st_pages[pages[titles.index(target)].path])


def render_sidebar(
    app_name: str,
    pages: list[PageSpec],
    st_pages: dict[str, st.Page],
    current: st.Page,
    identity: Identity | None,
) -> None:
    """Draw the menu, who is signed in, and the sign-out button."""
    pages = menu_pages(pages)
    with st.sidebar:
        option_menu(
            app_name,
            [p.title for p in pages],
            icons=[p.icon for p in pages],
            menu_icon="shield-lock",
            default_index=_current_index(pages, st_pages, current),
            key=keys.MENU,
            on_change=_remember_choice,
        )
        if identity is not None:
            st.caption(T.menu_signed_in_as.format(username=identity.user.username))
            st.button(T.sign_out, key=keys.SIGN_OUT, icon=":material/logout:", width="stretch")
