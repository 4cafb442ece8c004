"""Forgot password: ask for a reset link. The same answer whether or not the account exists."""

import streamlit as st

from auth.domain import recovery
from auth.domain.users import ValidationError
from auth.web import captcha_field  # [option: captcha=image]
from auth.web.client import current_client
from auth.web.links import page_link
from auth.web.services import get_services

services = get_services()
st.title("Forgot your password?")
st.write("Enter your username or email address. We will email you a link to choose a new password.")

with st.form("forgot_password"):
    login = st.text_input("Username or email", max_chars=255, autocomplete="username")
    captcha = captcha_field.field("forgot_password")  # [option: captcha=image]
    submitted = st.form_submit_button("Send the link", type="primary")

# [option: captcha=image]
if submitted and not captcha.passed():
    st.error(captcha_field.FAILED_MESSAGE)
    submitted = False
# [end option: captcha=image]
if submitted:
    try:
        recovery.forgot_password(services, login, ip=current_client().ip)
    except ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        st.success(recovery.RESET_LINK_SENT_MESSAGE)
        if services.settings.smtp is None:
            st.warning(recovery.NO_SMTP_NOTE)
captcha.draw()  # [option: captcha=image]
page_link("app_pages/login.py", "Back to sign in", ":material/arrow_back:")
