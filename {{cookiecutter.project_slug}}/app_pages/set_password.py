"""First sign-in with a one-time password: choose your own before anything else."""

import streamlit as st

from auth.domain import users
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.texts import T
from auth.web.guard import current_identity
from auth.web.services import get_services

services = get_services()
identity = current_identity()
if identity is None or not identity.user.must_change_password:
    st.stop()

st.title(T.set_password_title)
st.write(
    T.set_password_intro.format(
        username=identity.user.username, min_length=services.settings.min_password_length
    )
)
with st.form("set_password"):
    new = st.text_input(
        T.new_password, type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
    )
    repeat = st.text_input(
        T.repeat_it, type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
    )
    submitted = st.form_submit_button(T.set_password_button, type="primary")

if submitted:
    try:
        if new != repeat:
            raise users.ValidationError([T.set_password_mismatch])
        users.set_password(services, identity.user, new, keep_session=identity.session.id)
    except users.ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        st.rerun()
