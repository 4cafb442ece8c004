"""Admin: the audit log. Filters, a paged table, charts per UTC day, CSV export."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from auth.domain import admin, audit
from auth.web import keys
from auth.web.client import current_client
from auth.web.guard import require_role
from auth.web.services import get_services

identity = require_role("admin")
services = get_services()
ip = current_client().ip
ANY = "any"
PAGE_KEY = keys.key("audit", "page")

st.title("Audit log")
today = services.now().date()
c1, c2, c3, c4 = st.columns(4)
days = c1.date_input("Days (UTC)", value=(today - timedelta(days=29), today), max_value=today)
actor = c2.text_input("Actor (username)", max_chars=254)
event = c3.selectbox("Event", (ANY, *admin.EVENT_NAMES))
outcome = c4.selectbox("Outcome", (ANY, audit.SUCCESS, audit.FAILURE))
# While a range is being picked the widget holds one day only.
since, until = (days[0], days[-1]) if isinstance(days, tuple) and days else (None, None)
flt = admin.AuditFilter(
    since=since,
    until=until,
    actor=actor,
    event="" if event == ANY else event,
    outcome="" if outcome == ANY else outcome,
)

charts = admin.audit_charts(services, identity, flt)
m1, m2 = st.columns(2)
m1.metric("Accounts locked now", charts.locked_now)
m2.metric(
    "Sign-in failures in range",
    sum(n for day in charts.sign_ins.values() for key, n in day.items() if key.endswith("failure")),
)
left, right = st.columns(2)
with left:
    st.subheader("Sign-ins per day, by method")
    if charts.sign_ins:
        frame = pd.DataFrame.from_dict(charts.sign_ins, orient="index").fillna(0).sort_index()
        st.bar_chart(frame, x_label="day (UTC)", y_label="sign-ins")
    else:
        st.caption("No sign-ins in this range.")
with right:
    st.subheader("Active users per day")
    if charts.active_users:
        frame = pd.DataFrame({"active users": charts.active_users}).sort_index()
        st.line_chart(frame, x_label="day (UTC)", y_label="users")
    else:
        st.caption("No active users in this range.")

st.subheader("Events")
page_size = 50
page_no = st.session_state.get(PAGE_KEY, 1)
found = admin.list_audit(services, identity, flt, page=page_no, page_size=page_size)
st.caption(f"{found.total} event(s), newest first; page {found.page} of {found.pages}.")
st.dataframe(found.rows, hide_index=True, width="stretch")
if found.pages > 1:
    st.session_state[PAGE_KEY] = found.page
    st.number_input("Page", min_value=1, max_value=found.pages, step=1, key=PAGE_KEY)

if st.button("Prepare CSV export of the filtered events"):
    st.download_button(
        "Download audit.csv",
        admin.export_audit_csv(services, identity, flt, ip=ip),
        file_name="audit.csv",
        mime="text/csv",
    )
