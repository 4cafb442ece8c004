"""The contract every store backend must honour; `store` runs each test on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auth.store import (
    AuditEvent,
    AuditQuery,
    DuplicateIdentity,
    DuplicateUser,
    InvitationError,
    LastAdminError,
    NewUser,
    Session,
    Ticket,
    Token,
    User,
    UserChanges,
    UserNotFound,
    UserQuery,
)

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def add(store, username="alice", email=None, roles=("viewer",), **kw):
    return store.create_user(
        NewUser(
            username=username,
            email=email or f"{username}@example.com",
            password_hash="bcrypt_hmac$x",
            roles=roles,
            **kw,
        ),
        now=NOW,
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
    updated = store.update_user(
        user.id, UserChanges(first_name="Al", roles=("editor",), disabled=True)
    )
    assert (updated.first_name, updated.roles, updated.disabled) == ("Al", ("editor",), True)
    with pytest.raises(TypeError):
        store.update_user(user.id, UserChanges(failed_logins=0))  # type: ignore[call-arg]
    with pytest.raises(UserNotFound):
        store.update_user(999, UserChanges(first_name="x"))


def test_update_email_to_a_taken_one_is_refused_and_changes_nothing(store):
    add(store, "alice")
    bob = add(store, "bob")
    with pytest.raises(DuplicateUser):
        store.update_user(bob.id, UserChanges(email="ALICE@example.com", first_name="changed"))
    assert store.get_user(bob.id) == bob


def test_last_active_admin_cannot_be_demoted_disabled_or_deleted(store):
    root = add(store, "root", roles=("admin",))
    with pytest.raises(LastAdminError):
        store.update_user(root.id, UserChanges(roles=("viewer",)))
    with pytest.raises(LastAdminError):
        store.update_user(root.id, UserChanges(disabled=True))
    with pytest.raises(LastAdminError):
        store.delete_user(root.id)
    assert store.get_user(root.id) == root  # nothing half-done
    other = add(store, "second", roles=("admin",))
    store.update_user(root.id, UserChanges(roles=("viewer",)))
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


def test_revoking_a_users_sessions_also_deletes_their_unredeemed_tickets(store):
    """A sign-in finished just before a revocation must not become a session after it."""
    ann, bob = add(store, "ann"), add(store, "bob")
    store.add_ticket(Ticket("ann-t", ann.id, "password", "http://x", NOW + timedelta(seconds=60)))
    store.add_ticket(Ticket("bob-t", bob.id, "password", "http://x", NOW + timedelta(seconds=60)))
    store.add_session(session(ann.id, "ann-s"))
    assert store.revoke_user_sessions(ann.id, now=NOW) == 1
    assert store.redeem_ticket("ann-t", now=NOW) is None
    assert store.redeem_ticket("bob-t", now=NOW) is not None  # other users keep theirs


def test_load_session_reads_the_session_with_its_user_and_roles(store):
    ann = add(store, "ann", roles=("editor", "viewer"))
    bare = add(store, "bare", roles=())
    store.add_session(session(ann.id, "ann-s"))
    store.add_session(session(bare.id, "bare-s"))
    loaded_session, loaded_user = store.load_session("ann-s")
    assert loaded_session == store.get_session("ann-s")
    assert loaded_user == store.get_user(ann.id) and loaded_user.roles == ("editor", "viewer")
    assert store.load_session("bare-s")[1].roles == ()
    assert store.load_session("nope") is None
    store.update_user(ann.id, UserChanges(roles=("viewer",), disabled=True))
    assert store.load_session("ann-s")[1] == store.get_user(ann.id)  # as it is now
    store.delete_user(ann.id)
    assert store.load_session("ann-s") is None


def test_user_changes_name_only_what_differs():
    user = User(
        1,
        "ann",
        "ann@x.io",
        "Ann",
        "Lee",
        ("viewer", "editor"),
        None,
        False,
        False,
        0,
        None,
        NOW,
        None,
    )
    wanted = UserChanges(email="ann@x.io", first_name="Anne", disabled=False)
    assert wanted.against(user) == UserChanges(first_name="Anne")
    assert not UserChanges() and not UserChanges(roles=("editor", "viewer")).against(user)
    assert UserChanges(roles=("viewer",)).against(user).values() == {"roles": ("viewer",)}


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
            NewUser(username="x1x", email="x@example.com", password_hash="x", roles=()),
            now=datetime.now(),
        )


# --- user queries -------------------------------------------------------------
def _people(store):
    rows = [
        ("amy", "Amy", "Zeller", ("viewer",)),
        ("ben", "Ben", "Young", ("editor",)),
        ("cat_1", "Cat", "Xu", ("editor", "viewer")),
        ("dan", "Dan", "Young", ("admin",)),
    ]
    return {
        name: add(store, name, first_name=first, last_name=last, roles=roles)
        for name, first, last, roles in rows
    }


def test_search_matches_username_email_or_name_ignoring_case(store):
    _people(store)
    assert [u.username for u in store.list_users(UserQuery(search="YOUNG"))] == ["ben", "dan"]
    assert [u.username for u in store.list_users(UserQuery(search="amy@EX"))] == ["amy"]
    assert [u.username for u in store.list_users(UserQuery(search="cat"))] == ["cat_1"]
    assert store.count_users(UserQuery(search="young")) == 2


def test_search_takes_wildcards_and_quotes_literally(store):
    _people(store)
    assert [u.username for u in store.list_users(UserQuery(search="_"))] == ["cat_1"]
    assert store.list_users(UserQuery(search="%")) == []
    assert store.list_users(UserQuery(search="' OR 1=1 --")) == []


def test_filter_by_role_and_status(store):
    people = _people(store)
    store.update_user(people["ben"].id, UserChanges(disabled=True))
    store.record_login_failure(
        people["amy"].id, now=NOW, max_attempts=1, lockout_until=NOW + timedelta(minutes=5)
    )
    guest = store.create_user(
        NewUser(
            username="gus",
            email="",
            password_hash=None,
            roles=("viewer",),
            identity=("google", "sub-1"),
        ),
        now=NOW,
    )

    def names(**kw):
        return [u.username for u in store.list_users(UserQuery(now=NOW, **kw))]

    assert names(role="editor") == ["ben", "cat_1"]
    assert names(status="disabled") == ["ben"]
    assert names(status="locked") == ["amy"]
    assert names(status="active") == ["cat_1", "dan", "gus"]
    assert names(status="guest") == ["gus"]
    assert names(role="viewer", status="active") == ["cat_1", "gus"]
    assert store.count_users(UserQuery(status="locked", now=NOW)) == 1
    assert guest.is_guest and guest.auth_source == "google"
    # The lock expires: the same account is active again later.
    later = NOW + timedelta(minutes=6)
    assert store.count_users(UserQuery(status="locked", now=later)) == 0


def test_sort_by_name_then_descending_with_stable_pages(store):
    _people(store)
    by_name = [u.username for u in store.list_users(UserQuery(sort="name"))]
    assert by_name == ["cat_1", "ben", "dan", "amy"]
    desc = [u.username for u in store.list_users(UserQuery(sort="username", descending=True))]
    assert desc == ["dan", "cat_1", "ben", "amy"]
    page1 = store.list_users(UserQuery(sort="name"), limit=2)
    page2 = store.list_users(UserQuery(sort="name"), offset=2, limit=2)
    assert [u.username for u in page1 + page2] == by_name


def test_user_query_refuses_unknown_sort_or_status():
    with pytest.raises(ValueError):
        UserQuery(sort="password_hash")
    with pytest.raises(ValueError):
        UserQuery(status="locked")  # needs now
    with pytest.raises(ValueError):
        UserQuery(status="banned", now=NOW)


def test_unlock_clears_the_lock_and_count(store):
    user = add(store)
    store.record_login_failure(
        user.id, now=NOW, max_attempts=1, lockout_until=NOW + timedelta(hours=1)
    )
    assert store.get_user(user.id).is_locked(NOW)
    user = store.unlock_user(user.id)
    assert not user.is_locked(NOW) and user.failed_logins == 0
    with pytest.raises(UserNotFound):
        store.unlock_user(999)


def test_email_verified_round_trips_and_is_editable(store):
    user = add(store, email_verified=False)
    assert store.get_user(user.id).email_verified is False
    assert store.update_user(user.id, UserChanges(email_verified=True)).email_verified is True


# --- identities (OpenID Connect guests) -----------------------------------------
def test_guest_is_found_by_provider_and_subject_only(store):
    guest = store.create_user(
        NewUser(
            username="g1",
            email="g@example.com",
            password_hash=None,
            roles=("viewer",),
            identity=("google", "abc"),
        ),
        now=NOW,
    )
    assert store.find_user_by_identity("google", "abc") == guest
    assert store.find_user_by_identity("google", "ABC") is None  # subjects are exact
    assert store.find_user_by_identity("okta", "abc") is None
    with pytest.raises(DuplicateIdentity):
        store.create_user(
            NewUser(
                username="g2",
                email="g2@example.com",
                password_hash=None,
                roles=(),
                identity=("google", "abc"),
            ),
            now=NOW,
        )
    assert store.find_user("g2") is None  # nothing half-created


def test_link_identity_to_an_existing_user(store):
    alice = add(store)
    store.link_identity(alice.id, "okta", "00u1")
    assert store.find_user_by_identity("okta", "00u1").id == alice.id
    assert not store.get_user(alice.id).is_guest  # linking does not turn her into a guest
    bob = add(store, "bob")
    with pytest.raises(DuplicateIdentity):
        store.link_identity(bob.id, "okta", "00u1")
    with pytest.raises(UserNotFound):
        store.link_identity(999, "okta", "other")
    store.delete_user(alice.id)
    assert store.find_user_by_identity("okta", "00u1") is None


def test_empty_emails_never_clash(store):
    for name in ("g1", "g2"):
        store.create_user(NewUser(username=name, email="", password_hash=None, roles=()), now=NOW)
    assert store.count_users() == 2
    assert store.find_user("") is None


# --- invitations ----------------------------------------------------------------
def test_invitations_are_added_once_ignoring_case(store):
    added = store.add_invitations(
        ["New@Example.com", "new@example.com", "other@example.com"], now=NOW, invited_by="root"
    )
    assert added == ["New@Example.com", "other@example.com"]
    assert store.add_invitations(["NEW@example.com"], now=NOW) == []
    invitation = store.get_invitation("new@EXAMPLE.com")
    assert (invitation.email, invitation.invited_by, invitation.used_at) == (
        "New@Example.com",
        "root",
        None,
    )
    assert [i.email for i in store.list_invitations()] == ["New@Example.com", "other@example.com"]
    assert store.remove_invitation("OTHER@example.com") is True
    assert store.remove_invitation("other@example.com") is False


def test_registering_uses_the_invitation_once(store):
    store.add_invitations(["ann@example.com"], now=NOW)
    ann = add(store, "ann", invitation="ANN@example.com")
    used = store.get_invitation("ann@example.com")
    assert used.used_at == NOW and used.used_by == "ann" and not used.is_usable(NOW)
    store.delete_user(ann.id)
    with pytest.raises(InvitationError):
        add(store, "ann2", "ann@example.com", invitation="ann@example.com")
    assert store.find_user("ann2") is None


def test_expired_or_missing_invitation_creates_no_user(store):
    store.add_invitations(["late@example.com"], now=NOW, expires_at=NOW + timedelta(days=1))
    with pytest.raises(InvitationError):
        store.create_user(
            NewUser(
                username="late",
                email="late@example.com",
                password_hash="x",
                roles=(),
                invitation="late@example.com",
            ),
            now=NOW + timedelta(days=2),
        )
    with pytest.raises(InvitationError):
        add(store, "nobody", invitation="nobody@example.com")
    assert store.count_users() == 0
    assert store.get_invitation("late@example.com").used_at is None


def test_reinviting_renews_an_unused_invitation_but_not_a_used_one(store):
    store.add_invitations(["a@example.com"], now=NOW, expires_at=NOW)
    store.add_invitations(["a@example.com"], now=NOW, expires_at=NOW + timedelta(days=3))
    assert store.get_invitation("a@example.com").is_usable(NOW + timedelta(days=1))
    add(store, "a1", "a@example.com", invitation="a@example.com")
    store.add_invitations(["a@example.com"], now=NOW, expires_at=NOW + timedelta(days=9))
    assert store.get_invitation("a@example.com").used_by == "a1"


# --- emailed tokens ---------------------------------------------------------------
def _token(user_id, tid="tok", purpose="reset_password", lifetime=timedelta(hours=1)):
    return Token(tid, purpose, user_id, "a@example.com", NOW, NOW + lifetime)


def test_token_is_redeemed_once_for_its_purpose_before_expiry(store):
    user = add(store)
    store.add_token(_token(user.id))
    assert store.redeem_token("tok", purpose="verify_email", now=NOW) is None
    assert store.redeem_token("tok", purpose="reset_password", now=NOW) == _token(user.id)
    assert store.redeem_token("tok", purpose="reset_password", now=NOW) is None
    store.add_token(_token(user.id, "old", lifetime=timedelta(0)))
    assert store.redeem_token("old", purpose="reset_password", now=NOW) is None


def test_delete_tokens_of_a_user_by_purpose(store):
    user, other = add(store), add(store, "bob")
    store.add_token(_token(user.id, "r1"))
    store.add_token(_token(user.id, "v1", purpose="verify_email"))
    store.add_token(_token(other.id, "r2"))
    assert store.delete_tokens(user.id, "reset_password") == 1
    assert store.redeem_token("v1", purpose="verify_email", now=NOW) is not None
    assert store.delete_tokens(other.id) == 1
    store.add_token(_token(user.id, "r3"))
    store.delete_user(user.id)
    assert store.redeem_token("r3", purpose="reset_password", now=NOW) is None


# --- counters -------------------------------------------------------------------
def test_hit_counter_counts_per_key_and_window(store):
    window = timedelta(minutes=10)
    assert [store.hit_counter("reset:a", now=NOW, window=window) for _ in range(3)] == [1, 2, 3]
    assert store.hit_counter("reset:b", now=NOW, window=window) == 1
    assert store.hit_counter("reset:a", now=NOW + timedelta(minutes=10), window=window) == 1


# --- audit log --------------------------------------------------------------------
def _event(minutes, event="sign_in", outcome="success", target="alice", method="password"):
    return AuditEvent(
        at=NOW + timedelta(minutes=minutes),
        event=event,
        outcome=outcome,
        actor=target if outcome == "success" else "",
        target=target,
        method=method,
        ip="127.0.0.1",
        detail="wrong password" if outcome == "failure" else "",
    )


def test_audit_events_round_trip_newest_first_with_filters(store):
    store.add_audit(_event(0))
    store.add_audit(_event(1, outcome="failure", target="bob"))
    store.add_audit(_event(2, event="sign_out"))
    events = store.list_audit()
    assert [e.event for e in events] == ["sign_out", "sign_in", "sign_in"]
    assert events[1].detail == "wrong password" and events[1].id is not None
    assert events[2].at == NOW and events[2].at.tzinfo is not None
    assert store.count_audit(AuditQuery(outcome="failure")) == 1
    assert [e.target for e in store.list_audit(AuditQuery(actor="ALICE"))] == ["alice", "alice"]
    assert store.count_audit(AuditQuery(target="bob")) == 1
    window = AuditQuery(since=NOW + timedelta(minutes=1), until=NOW + timedelta(minutes=2))
    assert [e.target for e in store.list_audit(window)] == ["bob"]
    assert len(store.list_audit(offset=1, limit=1)) == 1


def test_audit_per_day_groups_by_utc_day_event_method_outcome(store):
    store.add_audit(_event(0, target="alice"))
    store.add_audit(_event(1, target="alice"))
    store.add_audit(_event(2, target="bob"))
    store.add_audit(_event(3, outcome="failure", target="bob"))
    store.add_audit(_event(24 * 60, method="google"))
    rows = store.audit_per_day(AuditQuery(event="sign_in"))
    summary = [(r.day.isoformat(), r.method, r.outcome, r.count, r.distinct_targets) for r in rows]
    assert summary == [
        ("2030-01-01", "password", "failure", 1, 1),
        ("2030-01-01", "password", "success", 3, 2),
        ("2030-01-02", "google", "success", 1, 1),
    ]


def test_prune_audit_deletes_only_older_events(store):
    store.add_audit(_event(-60 * 24 * 400))
    store.add_audit(_event(0))
    assert store.prune_audit(before=NOW - timedelta(days=365)) == 1
    assert store.count_audit() == 1


def test_purge_removes_expired_tokens_and_past_counter_windows(store):
    user = add(store)
    store.add_token(_token(user.id, "gone", lifetime=timedelta(0)))
    store.add_token(_token(user.id, "kept"))
    store.hit_counter("k", now=NOW - timedelta(hours=2), window=timedelta(hours=1))
    assert store.purge_expired(now=NOW) == 2
    assert store.redeem_token("kept", purpose="reset_password", now=NOW) is not None
