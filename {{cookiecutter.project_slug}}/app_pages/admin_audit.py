"""Admin: the audit log. Filters, a paged table, charts per UTC day, CSV export."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from auth.domain import admin, audit
from auth.texts import T
from auth.web import keys
from auth.web.client import current_client
from auth.web.guard import require_role
from auth.web.services import get_services

identity = require_role("admin")
services = get_services()
ip = current_client().ip
ANY = T.any_value
PAGE_KEY = keys.key("audit", "page")

st.title(T.audit_title)
today = services.now().date()
c1, c2, c3, c4 = st.columns(4)
days = c1.date_input(T.audit_days, value=(today - timedelta(days=29), today), max_value=today)
actor = c2.text_input(T.audit_actor, max_chars=254)
event = c3.selectbox(T.audit_event, (ANY, *admin.EVENT_NAMES))
outcome = c4.selectbox(T.audit_outcome, (ANY, audit.SUCCESS, audit.FAILURE))
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
m1.metric(T.audit_locked_now, charts.locked_now)
m2.metric(
    T.audit_failures,
    sum(n for day in charts.sign_ins.values() for key, n in day.items() if key.endswith("failure")),
)
left, right = st.columns(2)
with left:
    st.subheader(T.audit_sign_ins_header)
    if charts.sign_ins:
        frame = pd.DataFrame.from_dict(charts.sign_ins, orient="index").fillna(0).sort_index()
        st.bar_chart(frame, x_label=T.audit_day_axis, y_label=T.audit_sign_ins_axis)
    else:
        st.caption(T.audit_no_sign_ins)
with right:
    st.subheader(T.audit_active_header)
    if charts.active_users:
        frame = pd.DataFrame({T.audit_active_series: charts.active_users}).sort_index()
        st.line_chart(frame, x_label=T.audit_day_axis, y_label=T.audit_users_axis)
    else:
        st.caption(T.audit_no_active_users)

st.subheader(T.audit_events_header)
page_size = 50
page_no = st.session_state.get(PAGE_KEY, 1)
found = admin.list_audit(services, identity, flt, page=page_no, page_size=page_size)
st.caption(T.audit_events_found.format(total=found.total, page=found.page, pages=found.pages))
st.dataframe(found.rows, hide_index=True, width="stretch")
if found.pages > 1:
    st.session_state[PAGE_KEY] = found.page
    st.number_input(T.page_number, min_value=1, max_value=found.pages, step=1, key=PAGE_KEY)

if st.button(T.audit_prepare_export):
    st.download_button(
        T.audit_download,
        admin.export_audit_csv(services, identity, flt, ip=ip),
        file_name="audit.csv",
        mime="text/csv",
    )
