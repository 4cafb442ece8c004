"""The account page: name, email change by link, password, sessions, deleting the account."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1.element_tree import Block

from auth.domain import account, audit
from auth.domain.login import authenticate
from auth.domain.sessions import issue_ticket, start_session, verify_session
from auth.store import AuditQuery, NewUser
from auth.texts import T
from auth.web import keys
from tests.app_pages.conftest import NOT_SIGNED_IN, SIGNED_IN_ROLES
from tests.app_pages.support import errors, page, shape, signed_in, titles
from tests.conftest import PASSWORD

NEW_PASSWORD = "granite mosaic willow 77"
SUCCESS = "Password changed. Your other sessions have been signed out."
NEW_EMAIL = "bob.new@example.com"
EMAIL_SENT = (
    f"We sent a confirmation link to {account.markdown_literal(NEW_EMAIL)}. "
    "Your address changes when you open it."
)
LINK_RE = re.compile(r"https?://\S+/verify_email\?token=\S+")
LOCAL_USER_INPUTS = [
    "First name",
    "Last name",
    "New email address",
    "Password",
    "Current password",
    "New password",
    "Repeat new password",
    "Password",
    "Type your username to confirm",
]
EMAIL_PASSWORD = keys.key("account", "email_password")
DELETE_PASSWORD = keys.key("account", "delete_password")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


# --- helpers ------------------------------------------------------------------


def inputs(at, key_or_label: str):
    """The text input with this key, else the only one with this label."""
    by_key = [t for t in at.text_input if t.key == key_or_label]
    if by_key:
        return by_key[0]
    [found] = [t for t in at.text_input if t.label == key_or_label]
    return found


def submit(at, button: str, **values):
    """Fill inputs (by key or label; set_value sends exactly this, as a client ignoring
    maxlength could) and press a button."""
    for name, value in values.items():
        inputs(at, name).set_value(value)
    next(b for b in at.button if b.label == button).click().run()
    assert not at.exception
    return at


def change_password(at, current: str, new: str, repeat: str):
    return submit(
        at,
        "Change password",
        **{"Current password": current, "New password": new, "Repeat new password": repeat},
    )


def change_email(at, new_email: str, password: str):
    return submit(at, "Change email", **{"New email address": new_email, EMAIL_PASSWORD: password})


def save_name(at, first: str, last: str):
    return submit(at, "Save name", **{"First name": first, "Last name": last})


def delete(at, confirmation: str, password: str | None = None):
    values = {"Type your username to confirm": confirmation}
    if password is not None:
        values[DELETE_PASSWORD] = password
    return submit(at, "Delete my account", **values)


def form_block(at, form_id: str):
    return next(
        node
        for node in at.main
        if isinstance(node, Block) and node.type == "form" and node.key == form_id
    )


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def successes(at) -> list[str]:
    return [s.value for s in at.success]


@pytest.fixture
def bob(make_user):
    return make_user("bob", first_name="Bob", last_name="Stone")


@pytest.fixture
def guest(services):
    return services.store.create_user(
        NewUser(
            username="gus",
            email="gus@example.com",
            password_hash=None,
            roles=("viewer",),
            first_name="Gus",
            identity=("google", "sub-1"),
        ),
        now=services.now(),
    )


# --- who sees what ------------------------------------------------------------


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_signed_in_user_sees_their_own_account(services, visitor, role):
    who = visitor(role)
    at = page("account", who.token).run()
    assert not at.exception
    assert titles(at) == ["Account"]
    text = markdown_text(at)
    assert f"**Username:** {who.user.username}" in text
    assert f"**Email:** {account.markdown_literal(who.user.email)}" in text
    assert f"**Roles:** {role}" in text
    assert [t.label for t in at.text_input] == LOCAL_USER_INPUTS
    passwords = [t for t in at.text_input if "assword" in t.label]
    assert passwords and all(t.proto.type == t.proto.PASSWORD for t in passwords)
    assert [s.value for s in at.subheader] == [
        "Name",
        "Change email",
        "Change password",
        "Sessions",
        "Delete account",
    ]


@pytest.mark.parametrize("role", NOT_SIGNED_IN)
def test_account_shows_nothing_to_others(services, visitor, role):
    at = page("account", visitor(role).token).run()
    assert not at.exception
    assert not at.title and not at.text_input and not at.button and not at.subheader
    assert [w.value for w in at.warning] == ["Please sign in."]


def test_account_shows_only_the_signed_in_user(services, make_user, sign_in, bob):
    make_user("carol", email="carol@example.com", first_name="Carol")
    at = page("account", sign_in(bob)).run()
    text = markdown_text(at)
    assert "bob@example\\.com" in text
    assert "carol" not in text.lower()
    assert inputs(at, "First name").value == "Bob"
    assert inputs(at, "Last name").value == "Stone"


def test_a_revoked_session_gets_nothing(services, bob, sign_in):
    token = sign_in(bob)
    services.store.revoke_user_sessions(bob.id, now=services.now())
    at = page("account", token).run()
    assert not at.exception
    assert not signed_in(at)
    assert not at.title and not at.text_input


def test_user_input_in_details_is_shown_literally(services, make_user, sign_in):
    odd = make_user("odd_one", email="a_[x](http://evil.example)@example.com")
    text = markdown_text(page("account", sign_in(odd)).run())
    assert "](" not in text
    assert r"odd\_one" in text


def test_guests_see_no_email_or_password_forms(services, guest, sign_in):
    at = page("account", sign_in(guest)).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == [
        "First name",
        "Last name",
        "Type your username to confirm",
    ]
    assert "You sign in with **google**" in markdown_text(at)
    assert "Change email" not in buttons(at) and "Change password" not in buttons(at)


# --- name ---------------------------------------------------------------------


def test_saving_the_name_stores_it_and_says_so(services, bob, sign_in):
    at = save_name(page("account", sign_in(bob)).run(), " Robert ", "Stein")
    assert successes(at) == ["Name saved."]
    assert not at.error
    stored = services.store.get_user(bob.id)
    assert (stored.first_name, stored.last_name) == ("Robert", "Stein")
    assert inputs(at, "First name").value == "Robert"
    at.run()
    assert not at.success  # the message is shown once


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        ("x" * 101, "Stone", "First name can have at most 100 characters."),
        ("Bob", "y" * 101, "Last name can have at most 100 characters."),
        ("Bob\x00", "Stone", "First name contains characters that are not allowed."),
        ("Bob", "Sto\nne", "Last name contains characters that are not allowed."),
        ("Bob\u202e", "Stone", "First name contains characters that are not allowed."),
    ],
    ids=["long-first", "long-last", "nul", "newline", "bidi-override"],
)
def test_bad_name_shows_why_and_stores_nothing(services, bob, sign_in, first, last, problem):
    at = save_name(page("account", sign_in(bob)).run(), first, last)
    assert errors(at) == [problem]
    assert not at.success
    stored = services.store.get_user(bob.id)
    assert (stored.first_name, stored.last_name) == ("Bob", "Stone")


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", "Robert'); DROP TABLE users;--", "Zoë 山田", ""],
    ids=["html", "sql", "unicode", "empty"],
)
def test_names_are_stored_as_typed(services, bob, sign_in, name):
    at = save_name(page("account", sign_in(bob)).run(), name, name)
    assert successes(at) == ["Name saved."]
    stored = services.store.get_user(bob.id)
    assert (stored.first_name, stored.last_name) == (name, name)
    assert services.store.count_users() == 1


# --- email --------------------------------------------------------------------


def test_email_change_sends_a_link_and_changes_nothing_yet(services, mail, bob, sign_in):
    at = change_email(page("account", sign_in(bob)).run(), NEW_EMAIL, PASSWORD)
    assert successes(at) == [EMAIL_SENT]
    assert not at.error
    assert services.store.get_user(bob.id).email == "bob@example.com"
    [message] = mail.wait_for(1)
    assert message["To"] == NEW_EMAIL
    assert LINK_RE.search(message.get_content())
    assert form_block(at, "change_email").proto.form.clear_on_submit


def test_without_smtp_the_page_says_an_administrator_must_deliver_the_link(services, bob, sign_in):
    at = change_email(page("account", sign_in(bob)).run(), NEW_EMAIL, PASSWORD)
    assert not at.success and not at.error
    [warning] = [w.value for w in at.warning]
    assert "administrator" in warning and "server log" in warning


def test_a_taken_email_looks_the_same_as_a_free_one(services, mail, bob, make_user, sign_in):
    make_user("carol", email="carol@example.com")
    token = sign_in(bob)
    free = change_email(page("account", token).run(), NEW_EMAIL, PASSWORD)
    taken = change_email(page("account", token).run(), "carol@example.com", PASSWORD)
    carol = account.markdown_literal("carol@example.com")
    assert successes(taken) == [EMAIL_SENT.replace(account.markdown_literal(NEW_EMAIL), carol)]
    assert [kind for kind, *_ in shape(free)] == [kind for kind, *_ in shape(taken)]
    assert [m["To"] for m in mail.messages] == [NEW_EMAIL]


@pytest.mark.parametrize(
    ("new_email", "password", "problem"),
    [
        (NEW_EMAIL, "wrong password", T.account_wrong_password),
        (NEW_EMAIL, "", T.account_wrong_password),
        ("", PASSWORD, "Enter an email address."),
        ("not-an-address", PASSWORD, "Enter a valid email address, like name@example.com."),
        (
            "x" * 250 + "@example.com",
            PASSWORD,
            "Enter a valid email address, like name@example.com.",
        ),
        ("a@b.com\nBcc: c@d.com", PASSWORD, "Enter a valid email address, like name@example.com."),
        ("<b>x</b>", PASSWORD, "Enter a valid email address, like name@example.com."),
        (
            "'; DROP TABLE users; --",
            PASSWORD,
            "Enter a valid email address, like name@example.com.",
        ),
        ("bob@example.com", PASSWORD, "That is already your email address."),
    ],
    ids=[
        "wrong-password",
        "empty-password",
        "empty",
        "malformed",
        "over-long",
        "control",
        "html",
        "sql",
        "same",
    ],
)
def test_bad_email_change_shows_why_and_sends_nothing(
    services, mail, bob, sign_in, new_email, password, problem
):
    at = change_email(page("account", sign_in(bob)).run(), new_email, password)
    assert errors(at) == [problem]
    assert not at.success
    assert mail.messages == []
    assert services.store.get_user(bob.id).email == "bob@example.com"


# --- password -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "repeat", "problem"),
    [
        (
            "wrong current password",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "The current password is not correct.",
        ),
        ("", NEW_PASSWORD, NEW_PASSWORD, "The current password is not correct."),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "The new passwords do not match."),
        (PASSWORD, "short", "short", "Use at least 12 characters (you have 5)."),
        (
            PASSWORD,
            "my test portal secret",
            "my test portal secret",
            "This password is too close to your username, email or the app's name.",
        ),
        (PASSWORD, PASSWORD, PASSWORD, "Choose a password different from the current one."),
    ],
    ids=["wrong-current", "empty-current", "mismatch", "too-short", "like-app-name", "same"],
)
def test_failed_change_shows_why_and_changes_nothing(
    services, bob, sign_in, current, new, repeat, problem
):
    token, other = sign_in(bob), sign_in(bob)
    before = services.store.get_user(bob.id).password_hash
    at = change_password(page("account", token).run(), current, new, repeat)
    assert errors(at) == [problem]
    assert not at.success
    assert services.store.get_user(bob.id).password_hash == before
    assert verify_session(services, token) is not None
    assert verify_session(services, other) is not None


def test_change_password_signs_out_the_other_sessions_only(services, bob, make_user, sign_in):
    token, other, third = sign_in(bob), sign_in(bob), sign_in(bob)
    carol_token = sign_in(make_user("carol"))
    at = page("account", token).run()
    change_password(at, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert not at.error
    assert successes(at) == [SUCCESS]
    assert verify_session(services, token) is not None
    assert verify_session(services, other) is None
    assert verify_session(services, third) is None
    assert verify_session(services, carol_token) is not None
    assert authenticate(services, "bob", NEW_PASSWORD) is not None
    assert authenticate(services, "bob", PASSWORD) is None
    assert "No other sessions." in markdown_text(at)
    # The form is cleared after a submit, so no password stays in the browser's widgets.
    assert form_block(at, "change_password").proto.form.clear_on_submit
    [event] = services.store.list_audit(AuditQuery(event=audit.PASSWORD_CHANGE))
    assert (event.outcome, event.actor) == ("success", "bob")
    at.run()
    assert titles(at) == ["Account"]


def test_over_long_new_password_is_refused_not_truncated(services, bob, sign_in):
    too_long = "granite mosaic willow 77 " * 41  # 1025 characters
    assert len(too_long) == 1025
    at = change_password(page("account", sign_in(bob)).run(), PASSWORD, too_long, too_long)
    assert errors(at) == ["Use at most 1024 characters."]


# --- sessions -----------------------------------------------------------------


def sign_in_from(services, user, user_agent: str, ip: str) -> str:
    ticket = issue_ticket(
        services, user, origin="http://localhost:8501", user_agent=user_agent, ip=ip
    )
    return start_session(services, ticket)[0]


def test_sessions_are_listed_with_browser_address_and_this_session_marker(
    services, bob, sign_in, clock
):
    token = sign_in(bob)
    clock.advance(minutes=3)
    sign_in_from(services, bob, FIREFOX_LINUX, "203.0.113.7")
    at = page("account", token).run()
    rows = [m.value for m in at.markdown if "Signed in" in m.value]
    assert rows == [
        "**Unknown browser**  \nSigned in 2030-01-01 12:00 UTC, last seen 2030-01-01 12:03 UTC",
        "**Firefox on Linux** from 203\\.0\\.113\\.7  \n"
        "Signed in 2030-01-01 12:03 UTC, last seen 2030-01-01 12:03 UTC",
    ]
    assert [c.value for c in at.caption] == ["This session"]
    assert buttons(at).count("Sign out") == 1
    assert "Sign out all other sessions" in buttons(at)


def test_no_other_sessions_means_no_sign_out_buttons(services, bob, sign_in):
    at = page("account", sign_in(bob)).run()
    assert "No other sessions." in markdown_text(at)
    assert "Sign out" not in buttons(at)
    assert "Sign out all other sessions" not in buttons(at)


def test_sign_out_one_session_ends_only_that_one(services, bob, sign_in, clock):
    token = sign_in(bob)
    clock.advance(minutes=1)
    older = sign_in(bob)
    clock.advance(minutes=1)
    newer = sign_in(bob)
    at = page("account", token).run()
    # Rows after this session run from the most recently used: the first button is `newer`.
    next(b for b in at.button if b.label == "Sign out").click().run()
    assert not at.exception
    assert successes(at) == ["That session was signed out."]
    assert verify_session(services, newer) is None
    assert verify_session(services, older) is not None
    assert verify_session(services, token) is not None
    assert buttons(at).count("Sign out") == 1


def test_sign_out_all_other_sessions(services, bob, make_user, sign_in):
    token, other, third = sign_in(bob), sign_in(bob), sign_in(bob)
    carol_token = sign_in(make_user("carol"))
    at = page("account", token).run()
    next(b for b in at.button if b.label == "Sign out all other sessions").click().run()
    assert not at.exception
    assert successes(at) == ["Signed out 2 other session(s)."]
    assert verify_session(services, token) is not None
    assert verify_session(services, other) is None
    assert verify_session(services, third) is None
    assert verify_session(services, carol_token) is not None
    assert "No other sessions." in markdown_text(at)
    assert titles(at) == ["Account"]


def test_expired_and_idle_sessions_are_not_listed(services, bob, sign_in, clock):
    sign_in(bob)
    clock.advance(hours=12)
    idle = sign_in(bob)
    clock.advance(hours=12, seconds=1)  # the first is idle for more than 24 h
    assert verify_session(services, idle) is not None  # and this touch keeps it alive
    clock.advance(hours=24, seconds=1)  # now `idle` is idle too
    token = sign_in(bob)
    at = page("account", token).run()
    assert "No other sessions." in markdown_text(at)
    assert [c.value for c in at.caption] == ["This session"]


# --- deleting the account -----------------------------------------------------


def test_delete_account_removes_it_and_signs_the_browser_out(services, bob, sign_in):
    token, other = sign_in(bob), sign_in(bob)
    at = delete(page("account", token).run(), "bob", PASSWORD)
    assert not signed_in(at)
    assert services.store.get_user(bob.id) is None
    assert verify_session(services, token) is None
    assert verify_session(services, other) is None
    assert authenticate(services, "bob", PASSWORD) is None
    [event] = services.store.list_audit(AuditQuery(event=audit.USER_DELETED))
    assert (event.outcome, event.target) == ("success", "bob")


@pytest.mark.parametrize(
    ("confirmation", "password", "problem"),
    [
        ("", PASSWORD, "Type your username, bob, to confirm."),
        ("Bob", PASSWORD, "Type your username, bob, to confirm."),
        ("bob'; DROP TABLE users; --", PASSWORD, "Type your username, bob, to confirm."),
        ("<script>bob</script>", PASSWORD, "Type your username, bob, to confirm."),
        ("bob", "", T.account_wrong_password),
        ("bob", "wrong password", T.account_wrong_password),
    ],
    ids=["empty", "case", "sql", "html", "no-password", "wrong-password"],
)
def test_failed_delete_shows_why_and_keeps_the_account(
    services, bob, sign_in, confirmation, password, problem
):
    token = sign_in(bob)
    at = delete(page("account", token).run(), confirmation, password)
    assert errors(at) == [problem]
    assert signed_in(at)
    assert services.store.get_user(bob.id) is not None
    assert verify_session(services, token) is not None


def test_the_last_admin_is_told_why_they_cannot_delete(services, admin, sign_in):
    token = sign_in(admin)
    at = delete(page("account", token).run(), "root", PASSWORD)
    assert errors(at) == [T.account_last_admin]
    assert services.store.get_user(admin.id) is not None
    assert verify_session(services, token) is not None


def test_a_guest_deletes_by_typing_the_username(services, guest, sign_in):
    token = sign_in(guest)
    at = delete(page("account", token).run(), "gus")
    assert not signed_in(at)
    assert services.store.get_user(guest.id) is None
    assert verify_session(services, token) is None
