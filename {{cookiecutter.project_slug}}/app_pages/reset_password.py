"""Choose a new password with the link from a reset email. No sign-in follows."""

import streamlit as st

from auth.domain import recovery, validators
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.domain.users import ValidationError
from auth.web import keys
from auth.web.client import current_client
from auth.web.links import page_link
from auth.web.services import get_services

_SECRET, _DONE = keys.RESET_SECRET, keys.RESET_DONE

services = get_services()
st.title("Choose a new password")

# Take the secret out of the address bar (history, screenshots, Referer) at once.
if "token" in st.query_params:
    st.session_state[_SECRET] = st.query_params["token"]
    del st.query_params["token"]

if st.session_state.get(_DONE):
    st.success(
        "Your password was changed and every session of your account was signed out. "
        "Sign in with the new password."
    )
    page_link("app_pages/login.py", "Sign in", ":material/login:")
    st.stop()

secret = st.session_state.get(_SECRET)
if not secret:
    st.info("Open the link from your password reset email to choose a new password here.")
    page_link("app_pages/forgot_password.py", "Ask for a reset link")
    st.stop()

settings = services.settings
st.write(
    f"Use at least {settings.min_password_length} characters; a few unrelated words "
    "make a strong password that is easy to remember."
)
new = st.text_input(
    "New password", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
)
hint = validators.strength_hint(
    new, min_length=settings.min_password_length, context=(settings.app_name,)
)
if hint:
    st.caption(hint)
repeat = st.text_input(
    "Repeat it", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
)

if st.button("Save new password", type="primary"):
    try:
        recovery.reset_password(services, secret, new, repeat, ip=current_client().ip)
    except ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
        if recovery.INVALID_LINK_MESSAGE in exc.problems:
            del st.session_state[_SECRET]
            page_link("app_pages/forgot_password.py", "Ask for a new link")
    else:
        del st.session_state[_SECRET]
        st.session_state[_DONE] = True
        st.rerun()
