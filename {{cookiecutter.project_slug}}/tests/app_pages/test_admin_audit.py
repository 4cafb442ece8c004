"""The audit page: metrics, charts, filters, a paged table and a formula-safe CSV export."""

from __future__ import annotations

import csv
import io

from auth.domain import admin, audit
from auth.domain.login import authenticate
from auth.domain.sessions import verify_session
from tests.app_pages.support import page, titles
from tests.conftest import PASSWORD


def test_admin_sees_charts_lockouts_and_events(services, visitor, make_user):
    who = visitor("admin")
    make_user("bob")
    for _ in range(services.settings.max_failed_attempts):
        authenticate(services, "bob", "wrong wrong wrong")
    authenticate(services, "admin", PASSWORD)
    at = page("admin_audit", who.token).run()
    assert not at.exception
    assert titles(at) == ["Audit log"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accounts locked now"] == "1"
    assert metrics["Sign-in failures in range"] == "5"
    charts = [e for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]
    assert len(charts) == 2  # sign-ins per day by method, active users per day
    events = at.dataframe[0].value
    assert "lockout" in set(events["event"]) and "sign_in" in set(events["event"])


def test_filters_narrow_the_table(services, visitor, make_user):
    who = visitor("admin")
    make_user("bob")
    authenticate(services, "bob", "wrong wrong wrong")
    at = page("admin_audit", who.token).run()
    at.selectbox[0].select(audit.SIGN_IN)
    at.selectbox[1].select(audit.FAILURE).run()
    events = at.dataframe[0].value
    assert list(events["target"]) == ["bob"] and list(events["detail"]) == ["wrong password"]
    at.text_input[0].input("nobody").run()
    assert len(at.dataframe[0].value) == 0


def test_export_neutralizes_formulas(services, visitor):
    who = visitor("admin")
    audit.record(services, audit.SIGN_IN, audit.FAILURE, target="=1+1", detail="@evil")
    at = page("admin_audit", who.token).run()
    [prepare] = [b for b in at.button if b.label.startswith("Prepare CSV")]
    prepare.click().run()
    assert not at.exception
    # The page hands the browser what auth.domain.admin produced; check that content.
    text = admin.export_audit_csv(services, verify_session(services, who.token))
    rows = list(csv.DictReader(io.StringIO(text)))
    hostile = [r for r in rows if r["target"] == "'=1+1"]
    assert hostile and hostile[0]["detail"] == "'@evil"
    assert len(at.get("download_button")) == 1
