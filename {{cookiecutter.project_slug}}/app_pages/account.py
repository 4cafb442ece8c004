"""Your account: name, email, password, your sign-ins, and deleting the account."""

from datetime import datetime

import streamlit as st

from auth.domain import account, users
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.domain.validators import MAX_EMAIL_CHARS, MAX_NAME_CHARS
from auth.texts import T
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
    return moment.strftime(T.account_time_format)


st.title(T.account_title)
# A message from the action before the last rerun (the rerun redraws the page).
if flash := st.session_state.pop(_FLASH, None):
    st.success(flash)
st.write(T.account_summary.format(username=text(user.username), email=text(user.email) or T.none))
st.write(T.account_roles.format(roles=text(", ".join(user.roles)) or T.none))

st.subheader(T.name_field)
with st.form("name"):
    first = st.text_input(T.first_name, value=user.first_name, max_chars=MAX_NAME_CHARS + 1)
    last = st.text_input(T.last_name, value=user.last_name, max_chars=MAX_NAME_CHARS + 1)
    save_name = st.form_submit_button(T.account_save_name)
if save_name:
    try:
        account.update_name(services, identity, first, last)
    except users.ValidationError as exc:
        show_problems(exc)
    else:
        st.session_state[_FLASH] = T.account_name_saved
        st.rerun()

if user.is_guest:
    st.subheader(T.account_guest_header)
    st.write(T.account_guest_note.format(provider=text(user.auth_source)))
else:
    st.subheader(T.account_change_email)
    with st.form("change_email", clear_on_submit=True):
        new_email = st.text_input(
            T.account_new_email, max_chars=MAX_EMAIL_CHARS + 1, autocomplete="email"
        )
        email_password = st.text_input(
            T.password,
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="current-password",
            key=keys.key("account", "email_password"),
        )
        change_email = st.form_submit_button(T.account_change_email)
    if change_email:
        try:
            sent = account.request_email_change(services, identity, new_email, email_password)
        except users.ValidationError as exc:
            show_problems(exc)
        else:
            if sent:
                st.success(T.account_email_link_sent.format(email=text(new_email.strip())))
            else:
                st.warning(T.account_email_no_smtp)

    st.subheader(T.account_change_password)
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(
            T.account_current_password,
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="current-password",
        )
        new = st.text_input(
            T.new_password,
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="new-password",
        )
        repeat = st.text_input(
            T.account_repeat_new_password,
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="new-password",
        )
        submitted = st.form_submit_button(T.account_change_password)
    if submitted:
        try:
            account.change_password(services, identity, current, new, repeat)
        except users.ValidationError as exc:
            show_problems(exc)
        else:
            st.success(T.account_password_changed)

st.subheader(T.account_sessions_header)
rows = account.session_rows(services, identity)
for row in rows:
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.markdown(
        (T.account_session_from if row.ip else T.account_session).format(
            browser=text(row.browser),
            ip=text(row.ip),
            created=when(row.created_at),
            last_seen=when(row.last_seen_at),
        )
    )
    if row.current:
        right.caption(T.account_this_session)
    elif right.button(T.sign_out, key=keys.key("account", "end", row.id[:16])):
        account.end_session(services, identity, row.id)
        st.session_state[_FLASH] = T.account_session_ended
        st.rerun()
if len(rows) > 1:
    if st.button(T.account_sign_out_others):
        count = account.end_other_sessions(services, identity)
        st.session_state[_FLASH] = T.account_others_signed_out.format(count=count)
        st.rerun()
else:
    st.write(T.account_no_other_sessions)

st.subheader(T.account_delete_header)
st.write(T.account_delete_note)
with st.form("delete_account", clear_on_submit=True):
    delete_password = ""
    if not user.is_guest:
        delete_password = st.text_input(
            T.password,
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="current-password",
            key=keys.key("account", "delete_password"),
        )
    confirmation = st.text_input(T.account_delete_confirm, max_chars=CONFIRM_CHARS)
    delete = st.form_submit_button(T.account_delete_button, type="primary")
if delete:
    try:
        account.delete_account(
            services, identity, confirmation=confirmation, password=delete_password
        )
    except users.ValidationError as exc:
        show_problems(exc)
    else:
        sign_out()
