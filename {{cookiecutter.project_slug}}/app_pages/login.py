"""Sign in: a provider's button when one is set up, the password form, links to get help."""

import streamlit as st

from auth.texts import T
from auth.web.links import page_link
from auth.web.oidc_ui import guest_sign_in  # [option: guests=yes]
from auth.web.services import get_services
from auth.web.sign_in import password_form

services = get_services()
st.title(T.sign_in_title.format(app=services.settings.app_name))
guest_sign_in(services)  # [option: guests=yes]
password_form(services)

page_link("app_pages/forgot_password.py", T.forgot_password_title)
page_link("app_pages/forgot_username.py", T.forgot_username_title)
# [option: registration=invite_only,open]
if services.settings.registration != "disabled":
    page_link("app_pages/register.py", T.register_title)
# [end option: registration=invite_only,open]
