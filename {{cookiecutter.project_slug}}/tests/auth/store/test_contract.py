"""The contract every store backend must honour. Parametrize `store` over new backends."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from auth.store import DuplicateUser, LastAdminError, Session, Ticket, UserNotFound
from auth.store.sql import SQLStore, sqlite_engine

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
BACKENDS = ["sqlite"]


def make_store(backend: str, tmp_path):
    if backend == "sqlite":
        store = SQLStore(sqlite_engine(tmp_path / "users.db"))
    else:  # pragma: no cover - a backend listed without a factory
        raise AssertionError(backend)
    store.create_schema()
    return store


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    return make_store(request.param, tmp_path)


def add(store, username="alice", email=None, roles=("viewer",), **kw):
    return store.create_user(
        username=username,
        email=email or f"{username}@example.com",
        password_hash="bcrypt_hmac$x",
        roles=roles,
        now=NOW,
        **kw,
    )


def session(user_id, sid="s1", *, created=NOW, lifetime=timedelta(days=7)):
    return Session(
        id=sid,
        user_id=user_id,
        method="password",
        created_at=created,
        last_seen_at=created,
        expires_at=created + lifetime,
    )


# --- users --------------------------------------------------------------------
def test_create_and_get_user_round_trips_every_field(store):
    user = add(store, first_name="Alice", last_name="Liddell", roles=("editor", "viewer"))
    again = store.get_user(user.id)
    assert again == user
    assert (again.username, again.email, again.roles) == (
        "alice",
        "alice@example.com",
        ("editor", "viewer"),
    )
    assert again.created_at == NOW and again.created_at.tzinfo is not None
    assert not again.disabled and again.failed_logins == 0 and again.locked_until is None


def test_usernames_and_emails_are_unique_ignoring_case(store):
    add(store, "Alice", "Alice@Example.com")
    with pytest.raises(DuplicateUser) as by_name:
        add(store, "ALICE", "other@example.com")
    assert by_name.value.field == "username"
    with pytest.raises(DuplicateUser) as by_email:
        add(store, "bob", "alice@EXAMPLE.com")
    assert by_email.value.field == "email"
    assert store.count_users() == 1


def test_find_user_by_username_or_email_ignoring_case(store):
    user = add(store, "Alice", "Alice@Example.com")
    assert store.find_user("alice").id == user.id
    assert store.find_user("ALICE@example.COM").id == user.id
    assert store.find_user("nobody") is None
    assert store.find_user("' OR 1=1 --") is None


def test_list_users_pages_sorted_by_username(store):
    for name in ["carol", "Bob", "alice", "dave"]:
        add(store, name)
    assert [u.username for u in store.list_users(limit=2)] == ["alice", "Bob"]
    assert [u.username for u in store.list_users(offset=2, limit=2)] == ["carol", "dave"]
    assert store.count_users() == 4


def test_update_user_changes_only_editable_fields(store):
    user = add(store)
    updated = store.update_user(user.id, first_name="Al", roles=("editor",), disabled=True)
    assert (updated.first_name, updated.roles, updated.disabled) == ("Al", ("editor",), True)
    with pytest.raises(TypeError):
        store.update_user(user.id, failed_logins=0)
    with pytest.raises(UserNotFound):
        store.update_user(999, first_name="x")


def test_update_email_to_a_taken_one_is_refused_and_changes_nothing(store):
    add(store, "alice")
    bob = add(store, "bob")
    with pytest.raises(DuplicateUser):
        store.update_user(bob.id, email="ALICE@example.com", first_name="changed")
    assert store.get_user(bob.id) == bob


def test_last_active_admin_cannot_be_demoted_disabled_or_deleted(store):
    root = add(store, "root", roles=("admin",))
    with pytest.raises(LastAdminError):
        store.update_user(root.id, roles=("viewer",))
    with pytest.raises(LastAdminError):
        store.update_user(root.id, disabled=True)
    with pytest.raises(LastAdminError):
        store.delete_user(root.id)
    assert store.get_user(root.id) == root  # nothing half-done
    other = add(store, "second", roles=("admin",))
    store.update_user(root.id, roles=("viewer",))
    assert store.count_active_admins() == 1
    assert store.get_user(other.id).is_admin


def test_delete_user_removes_their_sessions(store):
    user = add(store)
    store.add_session(session(user.id))
    store.delete_user(user.id)
    assert store.get_user(user.id) is None
    assert store.get_session("s1") is None
    with pytest.raises(UserNotFound):
        store.delete_user(user.id)


# --- counters -----------------------------------------------------------------
def test_failures_lock_at_the_threshold_and_success_resets(store):
    user = add(store)
    until = NOW + timedelta(minutes=15)
    for _ in range(2):
        user = store.record_login_failure(user.id, now=NOW, max_attempts=3, lockout_until=until)
    assert user.failed_logins == 2 and not user.is_locked(NOW)
    user = store.record_login_failure(user.id, now=NOW, max_attempts=3, lockout_until=until)
    assert user.is_locked(NOW) and user.failed_logins == 0
    assert not user.is_locked(until)  # it expires
    store.record_login_success(user.id, now=NOW)
    user = store.get_user(user.id)
    assert user.locked_until is None and user.last_login_at == NOW


def _hammer(path, user_id, rounds):
    store = SQLStore(sqlite_engine(path))
    for _ in range(rounds):
        store.record_login_failure(
            user_id, now=NOW, max_attempts=10**9, lockout_until=NOW + timedelta(minutes=1)
        )


def _register(path, name, results):
    store = SQLStore(sqlite_engine(path))
    try:
        store.create_user(
            username=name, email=f"{name}@example.com", password_hash="x", roles=(), now=NOW
        )
        results.put("created")
    except DuplicateUser:
        results.put("duplicate")


def test_concurrent_counter_increments_are_never_lost(tmp_path):
    store = make_store("sqlite", tmp_path)
    user = add(store)
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_hammer, args=(tmp_path / "users.db", user.id, 25)) for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert store.get_user(user.id).failed_logins == 200


def test_two_concurrent_registrations_of_one_name_create_one_user(tmp_path):
    store = make_store("sqlite", tmp_path)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_register, args=(tmp_path / "users.db", "Same", results))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert outcomes == ["created", "duplicate", "duplicate", "duplicate"]
    assert store.count_users() == 1


# --- tickets and sessions -----------------------------------------------------
def test_ticket_is_redeemed_once_and_only_before_expiry(store):
    user = add(store)
    ticket = Ticket("t1", user.id, "password", "http://x", NOW + timedelta(seconds=60))
    store.add_ticket(ticket)
    assert store.redeem_ticket("t1", now=NOW) == ticket
    assert store.redeem_ticket("t1", now=NOW) is None
    store.add_ticket(Ticket("t2", user.id, "password", "http://x", NOW))
    assert store.redeem_ticket("t2", now=NOW) is None  # expired, and gone
    assert store.redeem_ticket("unknown", now=NOW) is None


def test_sessions_revoke_one_all_or_all_but_one(store):
    user = add(store)
    for sid in ("a", "b", "c"):
        store.add_session(session(user.id, sid))
    store.revoke_session("a", now=NOW)
    assert store.get_session("a").revoked_at == NOW
    assert store.revoke_user_sessions(user.id, now=NOW, keep="c") == 1
    assert [s.id for s in store.list_sessions(user.id, now=NOW)] == ["c"]
    assert store.revoke_user_sessions(user.id, now=NOW) == 1
    assert store.list_sessions(user.id, now=NOW) == []


def test_touch_updates_last_seen(store):
    user = add(store)
    store.add_session(session(user.id))
    store.touch_session("s1", now=NOW + timedelta(minutes=5))
    assert store.get_session("s1").last_seen_at == NOW + timedelta(minutes=5)


def test_signed_in_users_are_counted_once_each_and_only_while_live(store):
    alice, bob = add(store, "alice"), add(store, "bob")
    store.add_session(session(alice.id, "a1"))
    store.add_session(session(alice.id, "a2"))
    store.add_session(session(bob.id, "b1", created=NOW - timedelta(days=2)))
    assert store.count_signed_in_users(now=NOW, seen_since=NOW - timedelta(hours=1)) == 1
    assert store.count_signed_in_users(now=NOW, seen_since=NOW - timedelta(days=3)) == 2


def test_purge_removes_expired_tickets_and_ended_sessions(store):
    user = add(store)
    store.add_ticket(Ticket("old", user.id, "password", "http://x", NOW - timedelta(seconds=1)))
    store.add_session(session(user.id, "live"))
    store.add_session(session(user.id, "ended", created=NOW - timedelta(days=8)))
    store.add_session(session(user.id, "revoked"))
    store.revoke_session("revoked", now=NOW)
    assert store.purge_expired(now=NOW) == 3
    assert store.get_session("live") is not None


def test_naive_datetimes_are_refused(store):
    with pytest.raises(Exception, match="naive"):
        store.create_user(
            username="x1x", email="x@example.com", password_hash="x", roles=(), now=datetime.now()
        )
