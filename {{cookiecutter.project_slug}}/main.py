"""Runs on every page load and interaction: verify the sign-in, then show the allowed pages.

The sign-in is verified once per run: the page this run shows reuses the answer
(auth/web/guard.py), which is forgotten when the run ends.
"""

import streamlit as st

from auth.config import ConfigError
from auth.web.guard import verified_run
from auth.web.services import get_services
from menu import follow_sidebar_clicks, render_sidebar
from navigation import visible_pages

try:
    services = get_services()
except ConfigError as exc:
    st.error(f"The app is not configured: {exc}")
    st.stop()

# No page_icon: an icon font would be fetched from a third-party host on every load.
st.set_page_config(page_title=services.settings.app_name)

with verified_run() as identity:
    pages = visible_pages(identity)
    st_pages = {
        page.path: st.Page(page.path, title=page.title, url_path=page.url_path, default=index == 0)
        for index, page in enumerate(pages)
    }
    current = st.navigation(list(st_pages.values()), position="hidden")
    follow_sidebar_clicks(pages, st_pages, current, identity)
    current.run()
    # After the page, so its content reaches the browser before the menu's iframe.
    render_sidebar(services.settings.app_name, pages, st_pages, current, identity)
