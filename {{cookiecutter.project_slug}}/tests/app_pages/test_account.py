"""The account page: own details, a password change that needs the current one, sessions."""

from __future__ import annotations

import pytest
from streamlit.testing.v1.element_tree import Block

from auth.login import authenticate
from auth.sessions import verify_session
from tests.app_pages.conftest import NOT_SIGNED_IN, SIGNED_IN_ROLES
from tests.app_pages.support import errors, page, titles
from tests.conftest import PASSWORD

NEW_PASSWORD = "granite mosaic willow 77"
SUCCESS = "Password changed. Your other sessions have been signed out."


def change_password(at, current: str, new: str, repeat: str):
    by_label = {t.label: t for t in at.text_input}
    # set_value, not input(): send exactly this, as a client ignoring maxlength could.
    by_label["Current password"].set_value(current)
    by_label["New password"].set_value(new)
    by_label["Repeat new password"].set_value(repeat)
    next(b for b in at.button if b.label == "Change password").click().run()
    assert not at.exception
    return at


def form_block(at, form_id: str):
    return next(
        node
        for node in at.main
        if isinstance(node, Block) and node.type == "form" and node.key == form_id
    )


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_signed_in_user_sees_their_own_account(services, visitor, role):
    who = visitor(role)
    at = page("account", who.token).run()
    assert not at.exception
    assert titles(at) == ["Account"]
    text = markdown_text(at)
    assert f"**Username:** {who.user.username}" in text
    assert f"**Email:** {who.user.email}" in text
    assert f"**Roles:** {role}" in text
    assert [t.label for t in at.text_input] == [
        "Current password",
        "New password",
        "Repeat new password",
    ]
    assert all(t.proto.type == t.proto.PASSWORD for t in at.text_input)


@pytest.mark.parametrize("role", NOT_SIGNED_IN)
def test_account_shows_nothing_to_others(services, visitor, role):
    at = page("account", visitor(role).token).run()
    assert not at.exception
    assert not at.title and not at.text_input and not at.button and not at.subheader
    assert [w.value for w in at.warning] == ["Please sign in."]


def test_account_shows_only_the_signed_in_user(services, make_user, sign_in, bob):
    make_user("carol", email="carol@example.com")
    at = page("account", sign_in(bob)).run()
    text = markdown_text(at)
    assert "bob@example.com" in text
    assert "carol" not in text


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
    assert [s.value for s in at.success] == [SUCCESS]
    assert verify_session(services, token) is not None
    assert verify_session(services, other) is None
    assert verify_session(services, third) is None
    assert verify_session(services, carol_token) is not None
    assert authenticate(services, "bob", NEW_PASSWORD) is not None
    assert authenticate(services, "bob", PASSWORD) is None
    assert "No other sessions." in markdown_text(at)
    # The form is cleared after a submit, so no password stays in the browser's widgets.
    assert form_block(at, "change_password").proto.form.clear_on_submit
    at.run()
    assert titles(at) == ["Account"]


def test_no_other_sessions_means_no_sign_out_everywhere_button(services, bob, sign_in):
    at = page("account", sign_in(bob)).run()
    assert "No other sessions." in markdown_text(at)
    assert "Sign out everywhere else" not in [b.label for b in at.button]


def test_sign_out_everywhere_else_revokes_the_other_sessions(services, bob, make_user, sign_in):
    token, other, third = sign_in(bob), sign_in(bob), sign_in(bob)
    carol_token = sign_in(make_user("carol"))
    at = page("account", token).run()
    assert "You are signed in on 2 other browser(s)." in markdown_text(at)
    next(b for b in at.button if b.label == "Sign out everywhere else").click().run()
    assert not at.exception
    assert verify_session(services, token) is not None
    assert verify_session(services, other) is None
    assert verify_session(services, third) is None
    assert verify_session(services, carol_token) is not None
    assert "No other sessions." in markdown_text(at)
    assert "Sign out everywhere else" not in [b.label for b in at.button]
    assert titles(at) == ["Account"]


def test_expired_other_sessions_are_not_counted(services, bob, sign_in, clock):
    sign_in(bob)
    clock.advance(days=6, hours=12)
    token = sign_in(bob)
    clock.advance(hours=12, seconds=1)  # the first one is past its 7 days now
    at = page("account", token).run()
    assert "No other sessions." in markdown_text(at)


def test_idle_other_sessions_are_not_counted(services, bob, sign_in, clock):
    idle = sign_in(bob)
    clock.advance(hours=12)
    token = sign_in(bob)
    clock.advance(hours=12, seconds=1)  # the first one has been idle for more than 24 h
    assert verify_session(services, idle) is None
    at = page("account", token).run()
    assert "No other sessions." in markdown_text(at)


def test_over_long_new_password_is_refused_not_truncated(services, bob, sign_in):
    too_long = "granite mosaic willow 77 " * 41  # 1025 characters
    assert len(too_long) == 1025
    at = change_password(page("account", sign_in(bob)).run(), PASSWORD, too_long, too_long)
    assert errors(at) == ["Use at most 1024 characters."]
