import pytest

from auth.domain import passwords, users
from auth.domain.sessions import verify_session
from auth.store import DuplicateUser, LastAdminError
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
