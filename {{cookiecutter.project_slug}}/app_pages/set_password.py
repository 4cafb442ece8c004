"""First sign-in with a one-time password: choose your own before anything else."""

import streamlit as st

from auth.domain import users
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.web.guard import current_identity
from auth.web.services import get_services

services = get_services()
identity = current_identity()
if identity is None or not identity.user.must_change_password:
    st.stop()

st.title("Set your password")
st.write(
    f"Welcome, **{identity.user.username}**. You signed in with a one-time password; "
    f"choose your own to continue (at least {services.settings.min_password_length} characters; "
    "a few unrelated words make a strong one)."
)
with st.form("set_password"):
    new = st.text_input(
        "New password", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
    )
    repeat = st.text_input(
        "Repeat it", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
    )
    submitted = st.form_submit_button("Save password", type="primary")

if submitted:
    try:
        if new != repeat:
            raise users.ValidationError(["The passwords do not match."])
        users.set_password(services, identity.user, new, keep_session=identity.session.id)
    except users.ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        st.rerun()
