"""The first page after sign-in. Replace its content with your app."""

import streamlit as st

from auth.web.guard import require_role

identity = require_role()

st.title(f"Welcome, {identity.user.display_name}")
st.write("You are signed in. This page is yours to replace with the app itself.")
st.caption(f"Your roles: {', '.join(identity.roles) or 'none'}")
