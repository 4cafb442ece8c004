"""Your account: name, email, password, your sign-ins, and deleting the account."""

from datetime import datetime

import streamlit as st

from auth.domain import account, users
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.domain.validators import MAX_EMAIL_CHARS, MAX_NAME_CHARS
from auth.web import keys
from auth.web.guard import require_role, sign_out
from auth.web.services import get_services

text = account.markdown_literal
# One more than the longest valid value: longer input arrives whole and is refused
# with a message, instead of being cut silently by the input box.
CONFIRM_CHARS = 256

services = get_services()
identity = require_role()
user = identity.user
_FLASH = keys.flash("account")


def show_problems(exc: users.ValidationError) -> None:
    for problem in exc.problems:
        st.error(problem)


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


st.title("Account")
# A message from the action before the last rerun (the rerun redraws the page).
if flash := st.session_state.pop(_FLASH, None):
    st.success(flash)
st.write(f"**Username:** {text(user.username)}  \n**Email:** {text(user.email) or 'none'}")
st.write(f"**Roles:** {text(', '.join(user.roles)) or 'none'}")

st.subheader("Name")
with st.form("name"):
    first = st.text_input("First name", value=user.first_name, max_chars=MAX_NAME_CHARS + 1)
    last = st.text_input("Last name", value=user.last_name, max_chars=MAX_NAME_CHARS + 1)
    save_name = st.form_submit_button("Save name")
if save_name:
    try:
        account.update_name(services, identity, first, last)
    except users.ValidationError as exc:
        show_problems(exc)
    else:
        st.session_state[_FLASH] = "Name saved."
        st.rerun()

if user.is_guest:
    st.subheader("Email and password")
    st.write(
        f"You sign in with **{text(user.auth_source)}**: your email address and password "
        "are managed there."
    )
else:
    st.subheader("Change email")
    with st.form("change_email", clear_on_submit=True):
        new_email = st.text_input(
            "New email address", max_chars=MAX_EMAIL_CHARS + 1, autocomplete="email"
        )
        email_password = st.text_input(
            "Password",
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="current-password",
            key=keys.key("account", "email_password"),
        )
        change_email = st.form_submit_button("Change email")
    if change_email:
        try:
            sent = account.request_email_change(services, identity, new_email, email_password)
        except users.ValidationError as exc:
            show_problems(exc)
        else:
            if sent:
                st.success(
                    f"We sent a confirmation link to {text(new_email.strip())}. "
                    "Your address changes when you open it."
                )
            else:
                st.warning(
                    "This app cannot send email yet: an administrator has your confirmation "
                    "link in the server log and must send it to you. Your address changes "
                    "when you open it."
                )

    st.subheader("Change password")
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(
            "Current password",
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="current-password",
        )
        new = st.text_input(
            "New password",
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="new-password",
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
            account.change_password(services, identity, current, new, repeat)
        except users.ValidationError as exc:
            show_problems(exc)
        else:
            st.success("Password changed. Your other sessions have been signed out.")

st.subheader("Sessions")
rows = account.session_rows(services, identity)
for row in rows:
    left, right = st.columns([4, 1], vertical_alignment="center")
    where = f" from {text(row.ip)}" if row.ip else ""
    left.markdown(
        f"**{text(row.browser)}**{where}  \n"
        f"Signed in {when(row.created_at)}, last seen {when(row.last_seen_at)}"
    )
    if row.current:
        right.caption("This session")
    elif right.button("Sign out", key=keys.key("account", "end", row.id[:16])):
        account.end_session(services, identity, row.id)
        st.session_state[_FLASH] = "That session was signed out."
        st.rerun()
if len(rows) > 1:
    if st.button("Sign out all other sessions"):
        count = account.end_other_sessions(services, identity)
        st.session_state[_FLASH] = f"Signed out {count} other session(s)."
        st.rerun()
else:
    st.write("No other sessions.")

st.subheader("Delete account")
st.write("This removes your account and signs you out everywhere. It cannot be undone.")
with st.form("delete_account", clear_on_submit=True):
    delete_password = ""
    if not user.is_guest:
        delete_password = st.text_input(
            "Password",
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="current-password",
            key=keys.key("account", "delete_password"),
        )
    confirmation = st.text_input("Type your username to confirm", max_chars=CONFIRM_CHARS)
    delete = st.form_submit_button("Delete my account", type="primary")
if delete:
    try:
        account.delete_account(
            services, identity, confirmation=confirmation, password=delete_password
        )
    except users.ValidationError as exc:
        show_problems(exc)
    else:
        sign_out()
