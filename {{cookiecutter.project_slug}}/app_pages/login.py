"""Sign in with a username or email and a password."""

import streamlit as st

from auth.domain import (
    recovery,
    throttle,  # [option: captcha=image]
)
from auth.domain.login import begin_sign_in
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.web import captcha_field  # [option: captcha=image]
from auth.web.client import current_client
from auth.web.links import page_link
from auth.web.redirect import redirect
from auth.web.routes import SESSION_PATH
from auth.web.services import get_services

# Self-service state of this browser session (server-side).
# [option: captcha=image]
_FAILED = "_sign_in_failed"  # a sign-in failed here: the captcha is shown from now on
_MESSAGE = "_sign_in_message"  # to show after a rerun that added the captcha
# [end option: captcha=image]
_UNVERIFIED = "_sign_in_unverified"  # user id: right password, email not confirmed yet

services = get_services()
st.title(f"Sign in to {services.settings.app_name}")
# [option: guests=yes]
if services.settings.oidc_providers:  # guest sign-in (auth/web/oidc_ui.py)
    from auth.web.oidc_ui import guest_sign_in

    guest_sign_in(services)
# [end option: guests=yes]

with st.form("sign_in"):
    login = st.text_input("Username or email", max_chars=254, autocomplete="username")
    password = st.text_input(
        "Password", type="password", max_chars=PASSWORD_INPUT_CHARS, autocomplete="current-password"
    )
    # [option: captcha=image]
    captcha = captcha_field.field("sign_in", show=st.session_state.get(_FAILED, False))
    # [end option: captcha=image]
    submitted = st.form_submit_button("Sign in", type="primary")

message = None
message = st.session_state.pop(_MESSAGE, None)  # [option: captcha=image]
if submitted:
    client = current_client()
    st.session_state.pop(_UNVERIFIED, None)
    # [option: captcha=image]
    if captcha.enabled and not captcha.passed():
        message = captcha_field.FAILED_MESSAGE
        submitted = False
    elif (
        not captcha.enabled
        and captcha_field.available(services)
        and throttle.failures_before(services, login) > 0
    ):
        # Sign-ins with this name failed before (in any browser): captcha first.
        st.session_state[_FAILED] = True
        st.session_state[_MESSAGE] = captcha_field.NEEDED_MESSAGE
        st.rerun()
    # [end option: captcha=image]
if submitted:
    result = begin_sign_in(
        services,
        login,
        password,
        origin=client.origin,
        user_agent=client.user_agent,
        ip=client.ip,
    )
    if result.ticket is not None:
        st.info("Signing you in…")
        redirect(f"{SESSION_PATH}?ticket={result.ticket}")
    elif result.unverified is not None:
        st.session_state[_UNVERIFIED] = result.unverified.id
        message = result.message
    # [option: captcha=image]
    elif captcha_field.available(services):
        throttle.note_failure(services, login)
        st.session_state[_MESSAGE] = result.message
        if not st.session_state.get(_FAILED):
            st.session_state[_FAILED] = True
            st.rerun()  # draw the form again, now with the captcha
        message = st.session_state.pop(_MESSAGE)
    # [end option: captcha=image]
    else:
        message = result.message
if message:
    st.error(message)
captcha.draw()  # [option: captcha=image]

unverified = st.session_state.get(_UNVERIFIED)
if unverified is not None and st.button("Send the confirmation link again"):
    recovery.resend_verification(services, unverified, ip=current_client().ip)
    st.session_state.pop(_UNVERIFIED, None)
    st.success("If your address still needs confirming, a new link is on its way.")

links = [
    ("app_pages/forgot_password.py", "Forgot your password?"),
    ("app_pages/forgot_username.py", "Forgot your username?"),
    ("app_pages/register.py", "Create an account"),  # [option: registration=invite_only,open]
]
# [option: registration=invite_only,open]
if services.settings.registration == "disabled":
    links.pop()
# [end option: registration=invite_only,open]
for path, label in links:
    page_link(path, label)
