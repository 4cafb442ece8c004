"""Admin: the users of this app (the full console lives here as it grows)."""

import math

import streamlit as st

from auth.guard import require_role
from auth.services import get_services
from auth.users import public_record

PAGE_SIZE = 50

identity = require_role("admin")
services = get_services()
store = services.store

st.title("Users")
total = store.count_users()
pages = max(1, math.ceil(total / PAGE_SIZE))
page = st.number_input("Page", min_value=1, max_value=pages, value=1, step=1) if pages > 1 else 1
now = services.now()
rows = [
    public_record(u, now) for u in store.list_users(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
]
st.caption(f"{total} user(s); page {page} of {pages}. Manage them with `python manage.py`.")
st.dataframe(
    rows,
    column_order=(
        "username",
        "email",
        "first_name",
        "last_name",
        "roles",
        "status",
        "last_login_at",
    ),
    hide_index=True,
    width="stretch",
)
