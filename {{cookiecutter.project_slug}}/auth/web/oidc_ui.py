"""The OpenID Connect part of the sign-in page: finish a fresh `st.login`, or offer one.

app_pages/login.py calls `guest_sign_in` first thing; the page's own form
follows unless this stopped the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from auth.domain.oidc import LABELS, begin_guest_sign_in, configured_providers, pending_provider
from auth.texts import T
from auth.web.client import current_client
from auth.web.redirect import redirect
from auth.web.routes import SESSION_PATH

if TYPE_CHECKING:
    from auth.domain.services import Services


def guest_sign_in(services: Services) -> None:
    """After `st.login`: provision and hand over to our session. Before: one button per provider."""
    user_info = st.user.to_dict()
    if pending_provider(user_info):
        _finish(services, user_info)
        st.stop()
    ready, missing = configured_providers(services.settings.oidc_providers, st.secrets.to_dict())
    for name in ready:
        label = T.oidc_sign_in_with.format(provider=LABELS[name])
        if st.button(label, key=f"oidc_{name}", width="stretch"):
            st.login(name)
    for name in missing:
        st.caption(T.oidc_not_set_up.format(provider=LABELS[name], name=name))
    if ready:
        st.divider()


def _finish(services: Services, user_info: dict[str, Any]) -> None:
    client = current_client()
    result = begin_guest_sign_in(
        services, user_info, origin=client.origin, user_agent=client.user_agent, ip=client.ip
    )
    if result.ticket is None:
        st.error(result.message)
        # Streamlit's cookie still holds the provider's claims: drop it on request,
        # so the message stays readable until then.
        if st.button(T.oidc_back, key="oidc_back"):
            st.logout()
        return
    st.info(T.signing_in)
    redirect(f"{SESSION_PATH}?ticket={result.ticket}")
