"""Choose a new password with the link from a reset email. No sign-in follows."""

import streamlit as st

from auth.domain import recovery, validators
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.domain.users import ValidationError
from auth.texts import T
from auth.web import keys
from auth.web.client import current_client
from auth.web.links import page_link
from auth.web.services import get_services

_SECRET, _DONE = keys.RESET_SECRET, keys.RESET_DONE

services = get_services()
st.title(T.reset_title)

# Take the secret out of the address bar (history, screenshots, Referer) at once.
if "token" in st.query_params:
    st.session_state[_SECRET] = st.query_params["token"]
    del st.query_params["token"]

if st.session_state.get(_DONE):
    st.success(T.reset_done)
    page_link("app_pages/login.py", T.sign_in, ":material/login:")
    st.stop()

secret = st.session_state.get(_SECRET)
if not secret:
    st.info(T.reset_open_link)
    page_link("app_pages/forgot_password.py", T.reset_ask_link)
    st.stop()

settings = services.settings
st.write(T.reset_intro.format(min_length=settings.min_password_length))
new = st.text_input(
    T.new_password, type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
)
hint = validators.strength_hint(
    new, min_length=settings.min_password_length, context=(settings.app_name,)
)
if hint:
    st.caption(hint)
repeat = st.text_input(
    T.repeat_it, type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
)

if st.button(T.reset_button, type="primary"):
    try:
        recovery.reset_password(services, secret, new, repeat, ip=current_client().ip)
    except ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
        if T.invalid_link in exc.problems:
            del st.session_state[_SECRET]
            page_link("app_pages/forgot_password.py", T.reset_ask_new_link)
    else:
        del st.session_state[_SECRET]
        st.session_state[_DONE] = True
        st.rerun()
