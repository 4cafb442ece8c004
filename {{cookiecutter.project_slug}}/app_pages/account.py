"""Your account: details, password, and your sign-ins."""

import streamlit as st

from auth import users
from auth.guard import require_role
from auth.passwords import PASSWORD_INPUT_CHARS
from auth.services import get_services
from auth.sessions import live_sessions

services = get_services()
identity = require_role()
user = identity.user

st.title("Account")
st.write(f"**Username:** {user.username}  \n**Email:** {user.email}")
st.write(f"**Roles:** {', '.join(user.roles) or 'none'}")

st.subheader("Change password")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input(
        "Current password",
        type="password",
        max_chars=PASSWORD_INPUT_CHARS,
        autocomplete="current-password",
    )
    new = st.text_input(
        "New password", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
    )
    repeat = st.text_input(
        "Repeat new password",
        type="password",
        max_chars=PASSWORD_INPUT_CHARS,
        autocomplete="new-password",
    )
    submitted = st.form_submit_button("Change password")
if submitted:
    try:
        users.change_own_password(services, identity, current, new, repeat)
    except users.ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        st.success("Password changed. Your other sessions have been signed out.")

st.subheader("Sessions")
others = len(live_sessions(services, user)) - 1
st.write(f"You are signed in on {others} other browser(s)." if others > 0 else "No other sessions.")
if others > 0 and st.button("Sign out everywhere else"):
    users.revoke_sessions(services, user, keep=identity.session.id)
    st.rerun()
