from dataclasses import replace

import pytest

from auth.domain import audit, passwords, tokens, users
from auth.domain.sessions import issue_ticket, start_session, verify_session
from auth.store import AuditQuery, DuplicateUser, LastAdminError, UserChanges
from tests.conftest import PASSWORD


def test_create_user_without_password_returns_a_one_time_password(services):
    user, one_time = users.create_user(
        services, username="carol", email="carol@example.com", roles=["editor"]
    )
    assert user.must_change_password and len(one_time) >= 16
    assert passwords.verify_password(one_time, user.password_hash, services.settings.pepper)


def test_create_user_validates_everything_before_writing(services):
    with pytest.raises(users.ValidationError) as exc:
        users.create_user(
            services, username="x", email="nope", roles=["root"], password="short", last_name="\x00"
        )
    assert len(exc.value.problems) == 5
    assert services.store.count_users() == 0


def test_create_user_refuses_taken_names_ignoring_case(services, make_user):
    make_user("alice")
    with pytest.raises(DuplicateUser):
        users.create_user(services, username="ALICE", email="x@example.com", roles=[])
    assert services.store.count_users() == 1


def test_public_record_never_holds_secrets(services, make_user):
    record = users.public_record(make_user(), services.now())
    assert set(record) >= {"username", "email", "roles", "status"}
    assert not any("hash" in key or key == "password" for key in record)
    assert not any(str(v).startswith("bcrypt_hmac$") for v in record.values())


def test_set_password_applies_the_policy_and_ends_other_sessions(services, make_user, sign_in):
    user = make_user()
    keep, other = sign_in(user), sign_in(user)
    with pytest.raises(users.ValidationError):
        users.set_password(services, user, "short")
    kept = verify_session(services, keep).session.id
    users.set_password(services, user, "a brand new passphrase", keep_session=kept)
    assert verify_session(services, keep) is not None
    assert verify_session(services, other) is None


def test_change_own_password_requires_the_current_one(services, make_user, sign_in):
    identity = verify_session(services, sign_in(make_user()))
    new = "a brand new passphrase"
    with pytest.raises(users.ValidationError, match="current password"):
        users.change_own_password(services, identity, "wrong", new, new)
    with pytest.raises(users.ValidationError, match="do not match"):
        users.change_own_password(services, identity, PASSWORD, new, new + "x")
    with pytest.raises(users.ValidationError, match="different"):
        users.change_own_password(services, identity, PASSWORD, PASSWORD, PASSWORD)
    users.change_own_password(services, identity, PASSWORD, new, new)
    user = services.store.get_user(identity.user.id)
    assert passwords.verify_password(new, user.password_hash, services.settings.pepper)


def test_role_change_disable_and_delete_end_sessions(services, make_user, sign_in, admin):
    alice = make_user("alice")
    token = sign_in(alice)
    users.set_roles(services, alice, ["editor"])
    assert verify_session(services, token) is None
    token = sign_in(alice)
    users.set_disabled(services, alice, True)
    assert verify_session(services, token) is None
    with pytest.raises(users.ValidationError):
        users.set_roles(services, alice, ["superuser"])


def test_the_last_admin_is_protected(services, admin):
    with pytest.raises(LastAdminError):
        users.set_roles(services, admin, ["viewer"])
    with pytest.raises(LastAdminError):
        users.set_disabled(services, admin, True)
    with pytest.raises(LastAdminError):
        users.delete_user(services, admin)
    assert services.store.get_user(admin.id).is_admin


def test_guessing_the_current_password_locks_like_sign_in(services, make_user, sign_in, clock):
    user = make_user()
    new = "a brand new passphrase"
    for _ in range(services.settings.max_failed_attempts):
        identity = verify_session(services, sign_in(user))
        with pytest.raises(users.ValidationError, match="not correct"):
            users.change_own_password(services, identity, "a wrong guess!", new, new)
    identity = verify_session(services, sign_in(user))
    with pytest.raises(users.ValidationError, match="Too many"):
        users.change_own_password(services, identity, PASSWORD, new, new)
    clock.advance(minutes=16)
    identity = verify_session(services, sign_in(user))
    users.change_own_password(services, identity, PASSWORD, new, new)


# --- the service: the same consequences for every change ---------------------------------


def _pending(services, user, origin="http://localhost:8501"):
    """A ticket (a sign-in not yet redeemed) and a reset link of `user`."""
    ticket = issue_ticket(services, user, origin=origin)
    secret = tokens.issue_token(
        services, user, tokens.RESET_PASSWORD, lifetime=services.settings.reset_link_lifetime
    )
    return ticket, secret


@pytest.mark.parametrize(
    "changes",
    [UserChanges(password_hash="bcrypt_hmac$other"), UserChanges(roles=("editor",))],
    ids=["password", "roles"],
)
def test_credentials_or_roles_end_sessions_and_unredeemed_tickets(
    services, make_user, sign_in, changes
):
    bob = make_user("bob")
    token = sign_in(bob)
    ticket, _ = _pending(services, bob)
    users.change(services, bob, changes, by=users.Actor("root", "admin"), event=audit.USER_UPDATED)
    assert verify_session(services, token) is None
    assert start_session(services, ticket) is None  # a sign-in finished just before: refused


def test_disabling_ends_sessions_tickets_and_every_pending_link(services, make_user, sign_in):
    bob = make_user("bob")
    token = sign_in(bob)
    ticket, secret = _pending(services, bob)
    users.set_disabled(services, bob, True, actor="root", method="admin")
    assert verify_session(services, token) is None
    assert start_session(services, ticket) is None
    assert tokens.redeem(services, secret, tokens.RESET_PASSWORD) is None


def test_a_new_password_kills_reset_links_and_a_new_email_every_link(services, make_user):
    bob = make_user("bob")
    _, reset = _pending(services, bob)
    users.set_password(services, bob, "another good passphrase 7")
    assert tokens.redeem(services, reset, tokens.RESET_PASSWORD) is None
    verify = tokens.issue_token(
        services, bob, tokens.VERIFY_EMAIL, lifetime=services.settings.verify_link_lifetime
    )
    users.update_details(services, bob, email="new@example.com", first_name="", last_name="")
    assert tokens.redeem(services, verify, tokens.VERIFY_EMAIL) is None


def test_a_name_change_keeps_sessions_and_links(services, make_user, sign_in):
    bob = make_user("bob")
    token = sign_in(bob)
    ticket, secret = _pending(services, bob)
    users.update_details(services, bob, email=bob.email, first_name="Bob", last_name="Ross")
    assert verify_session(services, token) is not None
    assert start_session(services, ticket) is not None
    assert tokens.redeem(services, secret, tokens.RESET_PASSWORD) is not None


def test_a_change_that_changes_nothing_writes_and_audits_nothing(services, make_user):
    bob = make_user("bob")
    before = services.store.count_audit()
    same = UserChanges(email=bob.email, roles=bob.roles, disabled=False)
    assert users.change(services, bob, same, by=users.Actor(), event=audit.USER_UPDATED) == bob
    assert services.store.count_audit() == before


def test_every_change_is_audited_with_who_made_it(services, make_user):
    bob = make_user("bob")
    users.change(
        services,
        bob,
        UserChanges(first_name="Robert"),
        by=users.Actor("root", "admin", "10.1.2.3"),
        event=audit.USER_UPDATED,
        detail="name",
    )
    [event] = services.store.list_audit(AuditQuery(event=audit.USER_UPDATED), limit=1)
    assert (event.actor, event.target, event.method, event.ip, event.detail) == (
        "root",
        "bob",
        "admin",
        "10.1.2.3",
        "name",
    )


def test_a_stronger_hash_of_the_same_password_is_not_a_credential_change(
    services, make_user, sign_in
):
    bob = make_user("bob")
    token = sign_in(bob)
    new_hash = passwords.hash_password(PASSWORD, services.settings.pepper, 5)
    users.upgrade_hash(services, bob, new_hash)
    assert verify_session(services, token) is not None


# --- the one password check with lockout ---------------------------------------------------


@pytest.mark.parametrize("case", ["unknown", "guest", "disabled", "locked", "wrong", "right"])
def test_the_password_check_costs_one_hash_whatever_the_case(services, make_user, clock, case):
    bob = make_user("bob")
    if case == "disabled":
        users.set_disabled(services, bob, True)
    if case == "locked":
        services.store.record_login_failure(
            bob.id, now=clock(), max_attempts=1, lockout_until=clock.now.replace(year=2031)
        )
    user = {"unknown": None, "guest": replace(bob, password_hash=None)}.get(case, bob)
    if user is not None:
        user = services.store.get_user(bob.id) if case != "guest" else user
    calls = passwords.hash_calls
    check = users.check_password(services, user, "wrong guess" if case == "wrong" else PASSWORD)
    assert passwords.hash_calls - calls == 1
    expected = {"unknown": users.UNKNOWN, "guest": users.UNKNOWN, "right": ""}
    assert check.reason == expected.get(case, case if case != "wrong" else users.WRONG)


def test_only_a_wrong_password_counts_and_the_locking_failure_is_audited_once(services, make_user):
    bob = make_user("bob")
    for _ in range(services.settings.max_failed_attempts + 2):
        users.check_password(services, services.store.get_user(bob.id), "wrong guess")
    assert services.store.get_user(bob.id).is_locked(services.now())
    assert services.store.count_audit(AuditQuery(event=audit.LOCKOUT)) == 1
