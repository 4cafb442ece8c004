"""Sign in with a username or email and a password."""

import streamlit as st

from auth.client import current_client
from auth.login import begin_sign_in
from auth.passwords import PASSWORD_INPUT_CHARS
from auth.redirect import redirect
from auth.routes import SESSION_PATH
from auth.services import get_services

services = get_services()
st.title(f"Sign in to {services.settings.app_name}")
if services.settings.oidc_providers:  # guest sign-in (auth/oidc_ui.py), when generated
    from auth.oidc_ui import guest_sign_in

    guest_sign_in(services)

with st.form("sign_in"):
    login = st.text_input("Username or email", max_chars=254, autocomplete="username")
    password = st.text_input(
        "Password", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="current-password"
    )
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    client = current_client()
    result = begin_sign_in(
        services,
        login,
        password,
        origin=client.origin,
        user_agent=client.user_agent,
        ip=client.ip,
    )
    if result.ticket is None:
        st.error(result.message)
    else:
        st.info("Signing you in…")
        redirect(f"{SESSION_PATH}?ticket={result.ticket}")
