"""Forgot username: email it. The same answer whether or not an account uses the address."""

import streamlit as st

from auth.domain import recovery
from auth.domain.users import ValidationError
from auth.web import captcha_field  # [option: captcha=image]
from auth.web.client import current_client
from auth.web.links import page_link
from auth.web.services import get_services

services = get_services()
st.title("Forgot your username?")
st.write("Enter the email address of your account and we will send you its username.")

with st.form("forgot_username"):
    email = st.text_input("Email address", max_chars=255, autocomplete="email")
    captcha = captcha_field.field("forgot_username")  # [option: captcha=image]
    submitted = st.form_submit_button("Send my username", type="primary")

# [option: captcha=image]
if submitted and not captcha.passed():
    st.error(captcha_field.FAILED_MESSAGE)
    submitted = False
# [end option: captcha=image]
if submitted:
    try:
        recovery.forgot_username(services, email, ip=current_client().ip)
    except ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        st.success(recovery.USERNAME_SENT_MESSAGE)
        if services.settings.smtp is None:
            st.warning(recovery.NO_SMTP_NOTE)
captcha.draw()  # [option: captcha=image]
page_link("app_pages/login.py", "Back to sign in", ":material/arrow_back:")
