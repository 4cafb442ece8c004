"""The captcha on a form, for the pages: drawn when settings.toml asks for it.

`[captcha] kind = "image"` draws the picture captcha of auth/domain/captcha.py;
`"none"` turns it off: `CaptchaField.passed()` is then always True and nothing is
drawn. (A project generated without a captcha has neither this module nor the
code that calls it.)

Use inside a form, then check after the submit button and draw last, so that a
failed attempt already shows the new picture:

    with st.form("f"):
        ...
        field = captcha_field.field("f")
        submitted = st.form_submit_button("Send")
    if submitted and not field.passed():
        st.error(T.captcha_failed)
    field.draw()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from auth.texts import T
from auth.web import keys
from auth.web.services import get_services

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from auth.domain.services import Services


def available(services: Services | None = None) -> bool:
    """Whether settings.toml turns the captcha on."""
    services = services or get_services()
    return services.settings.captcha == "image"


class CaptchaField:
    def __init__(self, key: str, enabled: bool) -> None:
        self.key, self.enabled = key, enabled
        self._slot: DeltaGenerator | None = None
        self._typed = ""
        if enabled:
            self._slot = st.empty()
            self._typed = st.text_input(
                T.captcha_label, max_chars=32, key=keys.captcha_answer(key), autocomplete="off"
            )

    @property
    def _challenge_key(self) -> str:
        return keys.captcha_challenge(self.key)

    def passed(self) -> bool:
        """Check the typed answer against the challenge shown, once: it is used up either way."""
        if not self.enabled:
            return True
        import auth.domain.captcha as captcha  # the captcha library loads only when it is on

        challenge = st.session_state.pop(self._challenge_key, None)
        return bool(captcha.check(challenge, self._typed, get_services().now()))

    def draw(self) -> None:
        """Show the picture of the live challenge, drawing a new one when needed."""
        if not self.enabled or self._slot is None:  # the slot exists when enabled
            return
        import auth.domain.captcha as captcha  # the captcha library loads only when it is on

        now = get_services().now()
        challenge = st.session_state.get(self._challenge_key)
        if challenge is None or challenge.expires_at <= now:
            challenge = captcha.new_challenge(now)
            st.session_state[self._challenge_key] = challenge
        self._slot.image(challenge.png, caption=T.captcha_caption)


def field(key: str, *, show: bool = True) -> CaptchaField:
    """A captcha input for the form being drawn (nothing when `show` is False or no captcha)."""
    return CaptchaField(key, enabled=show and available())
