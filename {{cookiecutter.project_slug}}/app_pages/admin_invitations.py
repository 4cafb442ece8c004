"""Admin: invitations (pre-authorized emails): add many at once, expiry, remove, who used which."""

import streamlit as st

from auth.domain import admin
from auth.texts import T
from auth.web import keys
from auth.web.client import current_client
from auth.web.guard import require_role
from auth.web.services import get_services

identity = require_role("admin")
services = get_services()
ip = current_client().ip
FLASH_KEY = keys.flash("invitations")

st.title(T.invite_title)
if FLASH_KEY in st.session_state:
    kind, text = st.session_state.pop(FLASH_KEY)
    getattr(st, kind)(text)
st.caption(T.invite_note)

with st.form("add_invitations", clear_on_submit=True):
    emails = st.text_area(
        T.invite_emails, placeholder=T.invite_emails_placeholder, max_chars=100_000
    )
    expires_on = st.date_input(T.invite_expires, value=None)
    if st.form_submit_button(T.invite_button):
        try:
            result = admin.add_invitations(services, identity, emails, expires_on=expires_on, ip=ip)
        except admin.AdminError as exc:
            st.error(str(exc))
        else:
            done = T.invite_added_renewed if result.renewed else T.invite_added
            st.session_state[FLASH_KEY] = (
                "success",
                done.format(added=len(result.added), renewed=len(result.renewed)),
            )
            st.rerun()

rows = admin.list_invitations(services, identity)
st.dataframe(
    rows,
    column_order=(
        "email",
        "status",
        "expires_at",
        "used_by",
        "used_at",
        "invited_by",
        "created_at",
    ),
    hide_index=True,
    width="stretch",
)
if rows:
    with st.form("remove_invitation"):
        email = st.selectbox(T.invite_remove_choice, [r["email"] for r in rows])
        if st.form_submit_button(T.invite_remove):
            try:
                admin.remove_invitation(services, identity, email, ip=ip)
            except admin.AdminError as exc:
                st.error(str(exc))
            else:
                removed = T.invite_removed.format(email=email)
                st.session_state[FLASH_KEY] = ("success", removed)
                st.rerun()
