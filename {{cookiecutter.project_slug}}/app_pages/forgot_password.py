"""Forgot password: ask for a reset link. The same answer whether or not the account exists."""

import streamlit as st

from auth.domain import recovery
from auth.domain.users import ValidationError
from auth.texts import T
from auth.web import captcha_field  # [option: captcha=image]
from auth.web.client import current_client
from auth.web.links import page_link
from auth.web.services import get_services

services = get_services()
st.title(T.forgot_password_title)
st.write(T.forgot_password_intro)

with st.form("forgot_password"):
    login = st.text_input(T.username_or_email, max_chars=255, autocomplete="username")
    captcha = captcha_field.field("forgot_password")  # [option: captcha=image]
    submitted = st.form_submit_button(T.forgot_password_button, type="primary")

# [option: captcha=image]
if submitted and not captcha.passed():
    st.error(T.captcha_failed)
    submitted = False
# [end option: captcha=image]
if submitted:
    try:
        recovery.forgot_password(services, login, ip=current_client().ip)
    except ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        st.success(T.forgot_password_sent)
        if services.settings.smtp is None:
            st.warning(T.no_smtp_note)
captcha.draw()  # [option: captcha=image]
page_link("app_pages/login.py", T.back_to_sign_in, ":material/arrow_back:")
