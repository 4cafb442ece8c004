"""The password sign-in form: the fields, what a failure shows, the hand-over.

app_pages/login.py lays the page out and calls `password_form()`. The rules live
in the domain: auth/domain/login.py checks the password and issues the one-time
ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from auth.domain import (
    recovery,
    throttle,  # [option: captcha=image]
)
from auth.domain.login import begin_sign_in
from auth.domain.passwords import PASSWORD_INPUT_CHARS
from auth.texts import T
from auth.web import (
    captcha_field,  # [option: captcha=image]
    keys,
)
from auth.web.client import current_client
from auth.web.redirect import redirect
from auth.web.routes import SESSION_PATH

if TYPE_CHECKING:
    from auth.domain.services import Services
    from auth.web.captcha_field import CaptchaField  # [option: captcha=image]

FORM = "sign_in"


def password_form(services: Services) -> None:
    """Draw the form and act on a submission; success sends the browser to the session route."""
    with st.form(keys.key(FORM)):
        login = st.text_input(T.username_or_email, max_chars=254, autocomplete="username")
        password = st.text_input(
            T.password,
            type="password",
            max_chars=PASSWORD_INPUT_CHARS,
            autocomplete="current-password",
        )
        # [option: captcha=image]
        captcha = captcha_field.field(FORM, show=st.session_state.get(keys.SIGN_IN_CAPTCHA, False))
        # [end option: captcha=image]
        submitted = st.form_submit_button(T.sign_in, type="primary")
    message: str | None = None
    message = st.session_state.pop(keys.SIGN_IN_MESSAGE, None)  # [option: captcha=image]
    if submitted:
        message = _submit(
            services,
            login,
            password,
            captcha,  # [option: captcha=image]
        )
    if message:
        st.error(message)
    captcha.draw()  # [option: captcha=image]
    _offer_confirmation_again(services)


def _submit(
    services: Services,
    login: str,
    password: str,
    captcha: CaptchaField,  # [option: captcha=image]
) -> str | None:
    """The message to show for this attempt (None: the browser is on its way in)."""
    client = current_client()
    st.session_state.pop(keys.SIGN_IN_UNVERIFIED, None)
    # [option: captcha=image]
    if captcha.enabled and not captcha.passed():
        return T.captcha_failed
    if (
        not captcha.enabled
        and captcha_field.available(services)
        and throttle.failures_before(services, login) > 0
    ):
        # Sign-ins with this name failed before (in any browser): the captcha first.
        _show_captcha(T.captcha_needed)
    # [end option: captcha=image]
    result = begin_sign_in(
        services,
        login,
        password,
        origin=client.origin,
        user_agent=client.user_agent,
        ip=client.ip,
    )
    if result.ticket is not None:
        st.info(T.signing_in)
        redirect(f"{SESSION_PATH}?ticket={result.ticket}")
        return None
    if result.unverified is not None:
        st.session_state[keys.SIGN_IN_UNVERIFIED] = result.unverified.id
        return result.message
    # [option: captcha=image]
    if captcha_field.available(services):
        throttle.note_failure(services, login)
        if not st.session_state.get(keys.SIGN_IN_CAPTCHA):
            _show_captcha(result.message)
    # [end option: captcha=image]
    return result.message


# [option: captcha=image]
def _show_captcha(message: str) -> None:
    """Draw the form again, now with the captcha, and `message` under it."""
    st.session_state[keys.SIGN_IN_CAPTCHA] = True
    st.session_state[keys.SIGN_IN_MESSAGE] = message
    st.rerun()


# [end option: captcha=image]
def _offer_confirmation_again(services: Services) -> None:
    """After the right password for an unconfirmed address: a button to mail the link again."""
    unverified = st.session_state.get(keys.SIGN_IN_UNVERIFIED)
    if unverified is not None and st.button(T.sign_in_resend_confirmation):
        recovery.resend_verification(services, unverified, ip=current_client().ip)
        st.session_state.pop(keys.SIGN_IN_UNVERIFIED, None)
        st.success(T.sign_in_confirmation_resent)
