"""The audit log: what each authentication event and management action records, and retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from auth.config import load_settings
from auth.domain import audit, users
from auth.domain.login import authenticate
from auth.domain.sessions import end_session, verify_session
from auth.store import AuditQuery
from auth.web.routes import SESSION_PATH, auth_routes
from tests.conftest import PASSWORD


def all_events(services, **query) -> list:
    return list(reversed(services.store.list_audit(AuditQuery(**query))))  # oldest first


def last(services, event: str):
    found = services.store.list_audit(AuditQuery(event=event), limit=1)
    assert found, f"no {event} event"
    return found[0]


def test_record_caps_and_cleans_fields_and_uses_the_services_clock(services, clock):
    entry = audit.record(
        services, audit.SIGN_IN, audit.FAILURE, target="x" * 5000 + "\n", detail="a\x00b"
    )
    assert entry.at == clock() and len(entry.target) == audit.MAX_FIELD_CHARS
    assert "\n" not in entry.target and entry.detail == "a?b"
    assert services.store.list_audit() == [replace(entry, id=services.store.list_audit()[0].id)]


def test_password_sign_in_success_and_failures_with_reasons(services, make_user, clock):
    bob = make_user("bob")
    authenticate(services, "bob", PASSWORD, ip="10.0.0.1")
    authenticate(services, "bob", "wrong wrong wrong", ip="10.0.0.2")
    authenticate(services, "nobody", PASSWORD)
    users.set_disabled(services, bob, True)
    authenticate(services, "bob", PASSWORD)
    signs = all_events(services, event=audit.SIGN_IN)
    assert [(e.outcome, e.target, e.method, e.detail) for e in signs] == [
        ("success", "bob", "password", ""),
        ("failure", "bob", "password", "wrong password"),
        ("failure", "", "password", "unknown user"),
        ("failure", "bob", "password", "disabled"),
    ]
    assert [e.ip for e in signs[:2]] == ["10.0.0.1", "10.0.0.2"]


def test_lockout_is_recorded_once_when_the_account_locks(services, make_user):
    make_user("bob")
    for _ in range(services.settings.max_failed_attempts + 2):
        authenticate(services, "bob", "wrong wrong wrong")
    [lock] = all_events(services, event=audit.LOCKOUT)
    assert (lock.target, lock.outcome) == ("bob", "failure") and "until" in lock.detail
    reasons = [e.detail for e in all_events(services, event=audit.SIGN_IN)]
    assert reasons[-2:] == ["locked", "locked"]


def test_wrong_current_password_on_the_account_page_is_recorded(services, make_user, sign_in):
    bob = make_user("bob")
    identity = verify_session(services, sign_in(bob))
    with pytest.raises(users.ValidationError):
        users.change_own_password(services, identity, "wrong", "x" * 20, "x" * 20, ip="1.2.3.4")
    event = last(services, audit.PASSWORD_CHANGE)
    assert (event.outcome, event.actor, event.detail) == (
        "failure",
        "bob",
        "wrong current password",
    )


def test_a_password_change_is_recorded_without_the_password(services, make_user, caplog):
    bob = make_user("bob")
    caplog.set_level("INFO", logger="auth")
    users.set_password(services, bob, "new plum orbit kettle 99")
    event = last(services, audit.PASSWORD_CHANGE)
    assert (event.outcome, event.target) == ("success", "bob")
    stored = services.store.get_user(bob.id).password_hash
    for text in (caplog.text, repr(services.store.list_audit())):
        assert "new plum orbit" not in text and stored not in text


def test_session_start_ticket_refusal_and_sign_out(services, make_user, sign_in):
    bob = make_user("bob")
    token = sign_in(bob)
    started = last(services, audit.SESSION_ACTIVE)
    assert (started.actor, started.method) == ("bob", "password")
    end_session(services, token, ip="10.1.1.1")
    out = last(services, audit.SIGN_OUT)
    assert (out.actor, out.ip, out.method) == ("bob", "10.1.1.1", "password")
    end_session(services, token)  # a replayed sign-out records nothing more
    assert len(all_events(services, event=audit.SIGN_OUT)) == 1
    client = TestClient(Starlette(routes=auth_routes()), follow_redirects=False)
    client.get(f"{SESSION_PATH}?ticket=not-a-real-ticket")
    refused = last(services, audit.SIGN_IN)
    assert (refused.outcome, refused.method) == ("failure", "ticket")
    assert "not-a-real-ticket" not in repr(refused)


def test_session_active_at_most_once_per_session_per_utc_day(services, make_user, sign_in, clock):
    token = sign_in(make_user("bob"))
    for _ in range(10):
        clock.advance(minutes=7)
        verify_session(services, token)
    assert len(all_events(services, event=audit.SESSION_ACTIVE)) == 1
    clock.now = clock.now.replace(hour=23, minute=59)
    verify_session(services, token)
    clock.advance(minutes=2)  # past midnight UTC
    verify_session(services, token)
    verify_session(services, token)
    days = [e.at.date() for e in all_events(services, event=audit.SESSION_ACTIVE)]
    assert len(days) == 2 and days[1] - days[0] == timedelta(days=1)


def test_user_management_records_actor_target_and_method(services, make_user, sign_in):
    bob = make_user("bob")
    users.set_roles(services, bob, ("editor",), actor="root", method="admin", ip="9.9.9.9")
    users.set_disabled(services, bob, True, actor="root", method="cli")
    users.set_disabled(services, bob, False, actor="root", method="cli")
    users.revoke_sessions(services, bob, actor="root", method="admin")
    users.delete_user(services, bob, actor="root", method="admin")
    trail = [
        (e.event, e.actor, e.target, e.method)
        for e in all_events(services, target="bob")
        if e.event != audit.USER_CREATED
    ]
    assert trail == [
        (audit.ROLES_CHANGED, "root", "bob", "admin"),
        (audit.USER_DISABLED, "root", "bob", "cli"),
        (audit.USER_ENABLED, "root", "bob", "cli"),
        (audit.SESSIONS_REVOKED, "root", "bob", "admin"),
        (audit.USER_DELETED, "root", "bob", "admin"),
    ]


def test_retention_prunes_old_events_at_most_once_a_day(services, clock, monkeypatch):
    services.settings = replace(services.settings, audit_retention=timedelta(days=30))
    audit.record(services, audit.SIGN_IN, target="old")
    clock.advance(days=31)
    audit.record(services, audit.SIGN_IN, target="new")
    assert audit.prune_if_due(services) == 1
    assert [e.target for e in all_events(services, event=audit.SIGN_IN)] == ["new"]
    assert last(services, audit.AUDIT_PRUNED).detail == "1 older than 30 d"
    calls = []
    real = services.store.prune_audit
    monkeypatch.setattr(
        services.store, "prune_audit", lambda **kw: calls.append(kw["before"]) or real(**kw)
    )
    clock.advance(hours=23)
    audit.prune_if_due(services)
    assert calls == []  # pruned less than a day ago: not even a query
    clock.advance(hours=2)
    audit.prune_if_due(services)
    assert calls == [clock() - timedelta(days=30)]


def test_the_app_prunes_when_its_services_start(services, clock, monkeypatch):
    from auth.web import services as services_module

    audit.record(services, audit.SIGN_IN, target="ancient")
    clock.advance(days=400)
    services_module.use_services(services)
    services_module.get_services()
    assert all_events(services, event=audit.SIGN_IN) == []


def test_retention_setting_is_read_and_checked(tmp_path):
    import secrets

    from auth.config import ConfigError

    good = {
        "auth": {"cookie_secret": secrets.token_urlsafe(48)},
        "passwords": {"pepper": secrets.token_urlsafe(48)},
    }
    path = tmp_path / "settings.toml"
    path.write_text("")
    assert load_settings(good, path).audit_retention == timedelta(days=365)
    path.write_text("[audit]\nretention_days = 30\n")
    assert load_settings(good, path).audit_retention == timedelta(days=30)
    for bad in ("0", "-1", '"forever"', "true"):
        path.write_text(f"[audit]\nretention_days = {bad}\n")
        with pytest.raises(ConfigError, match="retention_days"):
            load_settings(good, path)


def test_command_line_management_is_audited_with_method_cli(tmp_path):
    from tests.test_manage import CLI

    cli = CLI(tmp_path)
    cli.users()
    cli.create("carol", "--role", "editor")
    assert cli.run("set-roles", "carol", "viewer").code == 0
    assert cli.run("disable", "carol").code == 0
    assert cli.run("delete", "carol", "--yes").code == 0
    services = cli.services()
    trail = [(e.event, e.method) for e in all_events(services, target="carol")]
    assert trail == [
        (audit.USER_CREATED, "cli"),
        (audit.ROLES_CHANGED, "cli"),
        (audit.USER_DISABLED, "cli"),
        (audit.USER_DELETED, "cli"),
    ]
    engine = getattr(services.store, "engine", None)  # SQL stores pool connections
    if engine is not None:
        engine.dispose()
