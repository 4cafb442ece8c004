"""Admin: invitations (pre-authorized emails): add many at once, expiry, remove, who used which."""

import streamlit as st

from auth.domain import admin
from auth.web import keys
from auth.web.client import current_client
from auth.web.guard import require_role
from auth.web.services import get_services

identity = require_role("admin")
services = get_services()
ip = current_client().ip
FLASH_KEY = keys.flash("invitations")

st.title("Invitations")
if FLASH_KEY in st.session_state:
    kind, text = st.session_state.pop(FLASH_KEY)
    getattr(st, kind)(text)
st.caption(
    "Whoever registers with an invited address may do so once, before the invitation expires."
)

with st.form("add_invitations", clear_on_submit=True):
    emails = st.text_area(
        "Email addresses", placeholder="one per line, or separated by commas", max_chars=100_000
    )
    expires_on = st.date_input("Expires after (UTC, optional)", value=None)
    if st.form_submit_button("Invite"):
        try:
            result = admin.add_invitations(services, identity, emails, expires_on=expires_on, ip=ip)
        except admin.AdminError as exc:
            st.error(str(exc))
        else:
            st.session_state[FLASH_KEY] = (
                "success",
                f"Invited {len(result.added)} new address(es)"
                + (f"; updated {len(result.renewed)} already invited." if result.renewed else "."),
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
        email = st.selectbox("Remove an invitation", [r["email"] for r in rows])
        if st.form_submit_button("Remove"):
            try:
                admin.remove_invitation(services, identity, email, ip=ip)
            except admin.AdminError as exc:
                st.error(str(exc))
            else:
                st.session_state[FLASH_KEY] = ("success", f"Removed the invitation for {email}.")
                st.rerun()
