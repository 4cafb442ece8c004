"""Create an account. Who may register is set in settings.toml ([registration])."""

import streamlit as st

from auth.domain import registration, users, validators
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.domain.users import ValidationError
from auth.texts import T
from auth.web import (
    captcha_field,  # [option: captcha=image]
    keys,
)
from auth.web.client import current_client
from auth.web.links import page_link
from auth.web.services import get_services

_DONE = keys.REGISTERED

services = get_services()
settings = services.settings
st.title(T.register_title)

if settings.registration not in (registration.INVITE_ONLY, registration.OPEN):
    st.info(T.register_closed)
    st.stop()

done = st.session_state.get(_DONE)
if done:
    st.success(done)
    if done == T.register_ready:
        page_link("app_pages/login.py", T.sign_in, ":material/login:")
    st.stop()

if settings.registration == registration.INVITE_ONLY:
    st.caption(T.register_invite_only_note)
elif settings.registration_domains:
    st.caption(T.register_domains.format(domains=", ".join(settings.registration_domains)))

# One more character than allowed: an over-long value is refused, never cut short.
username = st.text_input(T.username, max_chars=33, autocomplete="username")
email = st.text_input(T.email_address, max_chars=255, autocomplete="email")
first_name = st.text_input(T.first_name, max_chars=101, autocomplete="given-name")
last_name = st.text_input(T.last_name, max_chars=101, autocomplete="family-name")
password = st.text_input(
    T.password, type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
)
hint = validators.strength_hint(
    password,
    min_length=settings.min_password_length,
    context=users.password_context(services, username, email, first_name, last_name),
)
if hint:
    st.caption(hint)
repeat = st.text_input(
    T.register_repeat_password,
    type="password",
    max_chars=PASSWORD_INPUT_CHARS,
    autocomplete="new-password",
)
captcha = captcha_field.field("register")  # [option: captcha=image]

submitted = st.button(T.register_button, type="primary")
# [option: captcha=image]
if submitted and not captcha.passed():
    st.error(T.captcha_failed)
    submitted = False
# [end option: captcha=image]
if submitted:
    try:
        result = registration.register(
            services,
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            repeat=repeat,
            ip=current_client().ip,
        )
    except ValidationError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        if result.can_sign_in:
            message = T.register_ready
        elif result.verification and result.verification.emailed:
            message = T.register_check_email.format(email=result.user.email)
        else:
            message = T.register_email_failed
        st.session_state[_DONE] = message
        st.rerun()
captcha.draw()  # [option: captcha=image]
page_link("app_pages/login.py", T.register_have_account)
