"""Create an account. Who may register is set in settings.toml ([registration])."""

import streamlit as st

from auth.domain import registration, users, validators
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.domain.users import ValidationError
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
st.title("Create an account")

if settings.registration not in (registration.INVITE_ONLY, registration.OPEN):
    st.info(registration.CLOSED_MESSAGE)
    st.stop()

done = st.session_state.get(_DONE)
if done:
    st.success(done)
    if "sign in now" in done:
        page_link("app_pages/login.py", "Sign in", ":material/login:")
    st.stop()

if settings.registration == registration.INVITE_ONLY:
    st.caption("Registration is by invitation: use the email address your invitation went to.")
elif settings.registration_domains:
    st.caption(f"Use an email address at {', '.join(settings.registration_domains)}.")

# One more character than allowed: an over-long value is refused, never cut short.
username = st.text_input("Username", max_chars=33, autocomplete="username")
email = st.text_input("Email address", max_chars=255, autocomplete="email")
first_name = st.text_input("First name", max_chars=101, autocomplete="given-name")
last_name = st.text_input("Last name", max_chars=101, autocomplete="family-name")
password = st.text_input(
    "Password", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="new-password"
)
hint = validators.strength_hint(
    password,
    min_length=settings.min_password_length,
    context=users.password_context(services, username, email, first_name, last_name),
)
if hint:
    st.caption(hint)
repeat = st.text_input(
    "Repeat the password",
    type="password",
    max_chars=PASSWORD_INPUT_CHARS,
    autocomplete="new-password",
)
captcha = captcha_field.field("register")  # [option: captcha=image]

submitted = st.button("Create account", type="primary")
# [option: captcha=image]
if submitted and not captcha.passed():
    st.error(captcha_field.FAILED_MESSAGE)
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
            message = "Your account is ready. You can sign in now."
        elif result.verification and result.verification.emailed:
            message = (
                f"Your account is created. We sent a link to {result.user.email}: "
                "open it to confirm your address, then sign in."
            )
        else:
            message = (
                "Your account is created, but the confirmation email could not be sent. "
                "An administrator must send you the link; try signing in later."
            )
        st.session_state[_DONE] = message
        st.rerun()
captcha.draw()  # [option: captcha=image]
page_link("app_pages/login.py", "Already have an account? Sign in")
