"""The sign-in page: a ticket on success, one indistinguishable answer for every failure."""

from __future__ import annotations

import bcrypt
import pytest

from auth.domain import passwords, users
from auth.domain.sessions import start_session, token_id
from auth.store import UserChanges
from auth.texts import T
from auth.web.routes import SESSION_PATH
from tests.app_pages.support import (
    errors,
    page,
    redirect_url,
    shape,
    solve_captcha,  # [option: captcha=image]
    titles,
)
from tests.conftest import PASSWORD

# 72 bytes: bcrypt's limit. Two passwords that share them must still differ.
PREFIX_72 = "violet harbor lantern quiet spruce meadow copper thistle rain ember fog."
assert len(PREFIX_72.encode()) == 72


def stored_ticket_ids(services) -> set[str]:
    store = services.store
    # [option: storage=yaml]
    if not hasattr(store, "engine"):  # the YAML store: its parsed sessions file
        with store._read("live") as live:
            return set(live.tickets)
    # [end option: storage=yaml]
    # [option: storage=sqlite,postgres]
    if hasattr(store, "engine"):
        from sqlalchemy import select

        from auth.store.sql import tickets

        with store.engine.connect() as conn:
            return set(conn.scalars(select(tickets.c.id)))
    # [end option: storage=sqlite,postgres]
    raise TypeError(f"no way to list the tickets of {type(store).__name__}")


def submit(login: str, password: str, at=None):
    """Fill the form and press "Sign in"; returns the AppTest after the run."""
    if at is None:
        at = page("login").run()
    for _ in range(2):
        by_label = {t.label: t for t in at.text_input}
        # set_value, not input(): send exactly this, as a client ignoring maxlength could
        # (Streamlit then cuts it to the field's max_chars on the server).
        by_label["Username or email"].set_value(login)
        by_label["Password"].set_value(password)
        # Shown after a failure (tests/app_pages/test_login_selfservice.py).
        solve_captcha(at, "sign_in")  # [option: captcha=image]
        next(b for b in at.button if b.label == "Sign in").click().run()
        assert not at.exception
        # [option: captcha=image]
        # Solve again when the captcha just appeared or its picture expired (clock moved).
        if errors(at) in ([T.captcha_needed], [T.captcha_failed]):
            continue
        # [end option: captcha=image]
        break
    return at


def ticket_of(at) -> str:
    url = redirect_url(at)
    assert url is not None and url.startswith(f"{SESSION_PATH}?ticket=")
    return url.removeprefix(f"{SESSION_PATH}?ticket=")


def assert_refused(at, services) -> None:
    assert errors(at) == [T.sign_in_failed]
    assert not at.info
    assert redirect_url(at) is None
    assert stored_ticket_ids(services) == set()


@pytest.fixture
def bob(make_user):
    return make_user("bob")


def test_the_form_asks_for_username_or_email_and_password(services):
    at = page("login").run()
    assert titles(at) == ["Sign in to Test Portal"]
    fields = {t.label: t for t in at.text_input}
    assert list(fields) == ["Username or email", "Password"]
    assert fields["Password"].proto.type == fields["Password"].proto.PASSWORD
    assert fields["Password"].proto.autocomplete == "current-password"
    assert not at.error and not at.info


def test_correct_password_issues_a_ticket_and_redirects(services, bob):
    at = submit("bob", PASSWORD)
    assert not at.error
    assert [i.value for i in at.info] == ["Signing you in…"]
    ticket = ticket_of(at)
    # The store holds only the ticket's hash, never the ticket itself.
    assert stored_ticket_ids(services) == {token_id(ticket)}
    assert ticket not in stored_ticket_ids(services)
    token, redeemed, user = start_session(services, ticket)
    assert user.id == bob.id and redeemed.method == "password"
    assert token and token != ticket


def test_ticket_is_bound_to_the_origin_of_the_page(services, bob):
    at = page("login")
    at.context["url"] = "https://portal.example.com/login"
    at.run()
    submit("bob", PASSWORD, at)
    _, redeemed, _ = start_session(services, ticket_of(at))
    assert redeemed.origin == "https://portal.example.com"


@pytest.mark.parametrize("login", ["bob@example.com", "BOB@Example.COM", "BOB", "  bob  "])
def test_sign_in_by_email_or_any_case_of_the_username(services, bob, login):
    at = submit(login, PASSWORD)
    assert not at.error
    _, _, user = start_session(services, ticket_of(at))
    assert user.id == bob.id


def test_every_failure_looks_the_same_and_costs_one_hash(services, clock, make_user):
    make_user("bob")
    make_user("dora")
    users.set_disabled(services, make_user("dan"), True)
    locked = make_user("lou")
    services.store.record_login_failure(
        locked.id, now=clock(), max_attempts=1, lockout_until=clock.now.replace(year=2031)
    )
    cases = {
        "wrong password": ("bob", "not the password at all"),
        "unknown user": ("nobody", PASSWORD),
        "unknown email": ("nobody@example.com", PASSWORD),
        "disabled, right password": ("dan", PASSWORD),
        "locked, right password": ("lou", PASSWORD),
    }
    shapes = {}
    for name, (login, password) in cases.items():
        before = passwords.hash_calls
        at = submit(login, password)
        assert passwords.hash_calls - before == 1, name
        assert_refused(at, services)
        shapes[name] = shape(at)
    reference = shapes["wrong password"]
    assert all(s == reference for s in shapes.values()), shapes
    assert ("error", T.sign_in_failed) in reference


def test_lockout_after_max_failed_attempts_even_with_the_right_password(services, clock, bob):
    at = page("login").run()
    for _ in range(services.settings.max_failed_attempts):
        submit("bob", "wrong guess number x", at)
        assert errors(at) == [T.sign_in_failed]
    submit("bob", PASSWORD, at)
    assert_refused(at, services)
    # The lock lives in the store: a new browser is locked out too.
    assert_refused(submit("bob", PASSWORD), services)
    assert_refused(submit("bob@example.com", PASSWORD), services)


def test_lockout_expires_and_then_the_right_password_works(services, clock, bob):
    at = page("login").run()
    for _ in range(services.settings.max_failed_attempts):
        submit("bob", "wrong guess number x", at)
    clock.advance(minutes=14)
    assert_refused(submit("bob", PASSWORD, at), services)
    clock.advance(minutes=1, seconds=1)
    submit("bob", PASSWORD, at)
    assert not at.error
    assert ticket_of(at)


def test_a_success_resets_the_failure_count(services, bob):
    at = page("login").run()
    limit = services.settings.max_failed_attempts
    for _ in range(limit - 1):
        submit("bob", "wrong guess number x", at)
    assert not submit("bob", PASSWORD, at).error
    for _ in range(limit - 1):
        submit("bob", "wrong guess number x", at)
    assert not submit("bob", PASSWORD, at).error
    assert services.store.get_user(bob.id).failed_logins == 0


@pytest.mark.parametrize(
    "password",
    ["x" * 2000, PASSWORD + "y" * 2000, PREFIX_72 + "b", "é" * 37],
    ids=["2000-chars", "right-password-plus-2000", "73-bytes", "74-bytes-accented"],
)
def test_over_long_password_fails_cleanly(services, bob, password):
    at = submit("bob", password)
    assert_refused(at, services)
    assert services.store.get_user(bob.id).failed_logins == 1


def test_login_field_over_its_cap_fails_cleanly(services, bob):
    assert_refused(submit("bob" + "x" * 300, PASSWORD), services)
    assert_refused(submit("bob@example.com" * 400, PASSWORD), services)


def test_a_73_byte_password_works_and_its_72_byte_prefix_does_not_collide(services, make_user):
    make_user("bob", password=PREFIX_72 + "a")
    assert_refused(submit("bob", PREFIX_72 + "b"), services)
    assert_refused(submit("bob", PREFIX_72), services)
    at = submit("bob", PREFIX_72 + "a")
    assert not at.error
    assert ticket_of(at)


def test_legacy_bcrypt_hash_signs_in_and_73_bytes_fail_cleanly(services, bob):
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    services.store.update_user(bob.id, UserChanges(password_hash=legacy))
    assert_refused(submit("bob", PREFIX_72 + "a"), services)
    at = submit("bob", PASSWORD)
    assert not at.error and ticket_of(at)
    upgraded = services.store.get_user(bob.id).password_hash
    assert upgraded.startswith(passwords.BCRYPT_PREFIX)


@pytest.mark.parametrize(
    ("login", "password"),
    [("", ""), ("bob", ""), ("", PASSWORD), ("   ", PASSWORD)],
    ids=["both-empty", "no-password", "no-login", "blank-login"],
)
def test_empty_fields_fail_cleanly(services, bob, login, password):
    assert_refused(submit(login, password), services)


HOSTILE = [
    "' OR '1'='1",
    "bob' --",
    "bob'; DROP TABLE users; --",
    '" OR ""="',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "bob\x00",
    "bob\r\nSet-Cookie: sid=1",
    "\u202ebob",
    "%",
    "_o_",
    "x" * 5000,
]


def test_hostile_login_just_fails_with_the_common_message(services, bob):
    at = page("login").run()
    for hostile in HOSTILE:
        submit(hostile, PASSWORD, at)
        assert_refused(at, services)
        shown = [item for item in shape(at) if item[0] != "text_input"]
        assert all(hostile not in str(item) for item in shown), hostile
    assert services.store.count_users() == 1
    assert services.store.get_user(bob.id).failed_logins == 0


def test_hostile_password_just_fails_with_the_common_message(services, clock, bob):
    at = page("login").run()
    for hostile in HOSTILE:
        submit("bob", hostile, at)
        assert_refused(at, services)
        assert services.store.get_user(bob.id).failed_logins == 1, hostile
        services.store.record_login_success(bob.id, now=clock())  # no lockout in between
    assert services.store.count_users() == 1


def test_like_wildcards_do_not_match_other_accounts(services, bob):
    # "_o_" or "%" would match "bob" if the lookup used LIKE instead of equality.
    at = page("login").run()
    for pattern in ("_o_", "%", "b%", "%@example.com"):
        assert_refused(submit(pattern, PASSWORD, at), services)
