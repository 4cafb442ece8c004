"""Confirm an email address with the link from a verification email."""

import streamlit as st

from auth.domain import recovery
from auth.texts import T
from auth.web import keys
from auth.web.client import current_client
from auth.web.guard import current_identity
from auth.web.links import page_link
from auth.web.services import get_services

_RESULT = keys.VERIFY_RESULT

services = get_services()
identity = current_identity()
st.title(T.verify_title)

if "token" in st.query_params:
    secret = st.query_params["token"]
    del st.query_params["token"]  # out of the address bar at once
    user = recovery.verify_link(services, secret, ip=current_client().ip)
    st.session_state[_RESULT] = user.email if user else ""

result = st.session_state.get(_RESULT)
if result is None:
    st.info(T.verify_open_link)
elif result:
    st.success(T.verify_done.format(email=result))
else:
    st.error(T.invalid_link)
if identity is None:
    page_link("app_pages/login.py", T.sign_in, ":material/login:")
