"""The server: Streamlit plus the sign-in route. `streamlit run streamlit_app.py` serves it.

Community Cloud also starts this file by default. The pages themselves run from
main.py; the route is in auth/web/routes.py.
"""

import streamlit as st

from auth.web.routes import auth_routes

app = st.App("main.py", routes=auth_routes())
