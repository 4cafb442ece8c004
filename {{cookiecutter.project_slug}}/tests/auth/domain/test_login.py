import bcrypt
import pytest

from auth.domain import passwords
from auth.domain.login import authenticate, begin_sign_in
from auth.store import UserChanges
from auth.texts import T
from tests.conftest import PASSWORD


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def count_hashes(services):
    assert services.dummy_hash  # computed once, before counting starts

    def count(fn, *args, **kwargs):
        before = passwords.hash_calls
        fn(*args, **kwargs)
        return passwords.hash_calls - before

    return count


def test_correct_password_by_username_or_email_signs_in(services, alice):
    assert authenticate(services, "alice", PASSWORD).id == alice.id
    assert authenticate(services, "ALICE@example.com", PASSWORD).id == alice.id
    assert services.store.get_user(alice.id).last_login_at == services.now()


@pytest.mark.parametrize(
    "case", ["unknown user", "wrong password", "disabled", "locked", "correct password"]
)
def test_every_path_computes_exactly_one_hash(services, alice, count_hashes, case):
    login, password = "alice", PASSWORD
    if case == "unknown user":
        login = "nobody"
    elif case == "wrong password":
        password = "not the password"
    elif case == "disabled":
        services.store.update_user(alice.id, UserChanges(disabled=True))
    elif case == "locked":
        services.store.record_login_failure(
            alice.id,
            now=services.now(),
            max_attempts=1,
            lockout_until=services.now().replace(year=2031),
        )
    assert count_hashes(authenticate, services, login, password) == 1


def test_disabled_and_locked_accounts_fail_even_with_the_right_password(services, alice, clock):
    services.store.update_user(alice.id, UserChanges(disabled=True))
    assert authenticate(services, "alice", PASSWORD) is None
    services.store.update_user(alice.id, UserChanges(disabled=False))
    for _ in range(services.settings.max_failed_attempts):
        assert authenticate(services, "alice", "wrong password!") is None
    assert authenticate(services, "alice", PASSWORD) is None  # locked
    clock.advance(minutes=16)
    assert authenticate(services, "alice", PASSWORD) is not None  # the lock expired
    assert services.store.get_user(alice.id).failed_logins == 0


def test_failures_while_locked_do_not_extend_the_lock(services, alice, clock):
    for _ in range(services.settings.max_failed_attempts):
        authenticate(services, "alice", "wrong password!")
    locked_until = services.store.get_user(alice.id).locked_until
    clock.advance(minutes=10)
    authenticate(services, "alice", "wrong password!")
    assert services.store.get_user(alice.id).locked_until == locked_until


def test_success_resets_the_failure_count(services, alice):
    authenticate(services, "alice", "wrong password!")
    authenticate(services, "alice", PASSWORD)
    assert services.store.get_user(alice.id).failed_logins == 0


@pytest.mark.parametrize(
    "login, password",
    [
        ("", ""),
        ("alice", ""),
        ("", PASSWORD),
        ("alice", "é" * 37),  # 74 bytes
        ("alice", "x" * 5000),
        ("a" * 10_000, PASSWORD),
        ("alice' OR '1'='1", "' OR '1'='1"),
        ("<script>alert(1)</script>", PASSWORD),
        ("alice\x00", PASSWORD),
    ],
)
def test_bad_input_fails_cleanly(services, alice, login, password):
    assert authenticate(services, login, password) is None


def test_legacy_bcrypt_hash_is_upgraded_on_sign_in(services, make_user):
    user = make_user("legacy")
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    services.store.update_user(user.id, UserChanges(password_hash=legacy))
    assert authenticate(services, "legacy", PASSWORD) is not None
    upgraded = services.store.get_user(user.id).password_hash
    assert upgraded.startswith(passwords.BCRYPT_PREFIX)
    assert authenticate(services, "legacy", PASSWORD) is not None


def test_begin_sign_in_issues_a_ticket_or_the_one_failure_message(services, alice):
    ok = begin_sign_in(services, "alice", PASSWORD, origin="http://localhost:8501")
    assert ok.ticket and not ok.message
    bad = begin_sign_in(services, "alice", "nope nope nope", origin="http://localhost:8501")
    unknown = begin_sign_in(services, "nobody", PASSWORD, origin="http://localhost:8501")
    assert bad == unknown == type(bad)(None, T.sign_in_failed)


def test_password_is_never_logged(services, alice, caplog):
    caplog.set_level("DEBUG", logger="auth")
    authenticate(services, "alice", "secret-attempt-123")
    authenticate(services, "secret-login-typo", PASSWORD)
    assert "secret-attempt-123" not in caplog.text
    assert "secret-login-typo" not in caplog.text
    assert PASSWORD not in caplog.text
