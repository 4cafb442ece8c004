"""Confirms a new email address from the emailed link.

Open to anyone, signed in or not: the link may be opened in another browser,
and holding it is the proof. The token is redeemed once and then removed from
the address bar, so a reload shows the same outcome instead of "invalid".
"""

import streamlit as st

from auth import account
from auth.guard import current_identity
from auth.services import get_services

services = get_services()
current_identity()  # a stale cookie is cleared here as on every page
_RESULT = "confirm_email_result"

st.title("Confirm email address")
if "token" in st.query_params:
    updated = account.confirm_email_change(services, st.query_params["token"])
    st.session_state[_RESULT] = updated.email if updated else ""
    del st.query_params["token"]

result = st.session_state.get(_RESULT)
if result:
    st.success(f"Your email address is now {account.markdown_literal(result)}.")
elif result == "":
    st.error(
        "This link is invalid, already used or expired. Ask for a new one on your account page."
    )
else:
    st.info("Open the link in the confirmation email to change your address.")
