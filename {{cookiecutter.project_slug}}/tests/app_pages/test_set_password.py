"""Set your password: only for a user signed in with a one-time password."""

from __future__ import annotations

import pytest

from auth.domain import users
from auth.domain.login import authenticate
from auth.domain.sessions import verify_session
from tests.app_pages.support import MAIN, app, errors, is_empty, menu_titles, page, titles

NEW_PASSWORD = "granite mosaic willow 77"


def save(at, new: str, repeat: str):
    by_label = {t.label: t for t in at.text_input}
    by_label["New password"].set_value(new)
    by_label["Repeat it"].set_value(repeat)
    next(b for b in at.button if b.label == "Save password").click().run()
    assert not at.exception
    return at


@pytest.fixture
def newbie(services):
    """A user created with a one-time password, as manage.py does; returns (user, password)."""
    return users.create_user(
        services, username="newbie", email="newbie@example.com", roles=("viewer",)
    )


@pytest.mark.parametrize("role", ["anonymous", "viewer", "editor", "admin"])
def test_page_shows_nothing_to_anyone_without_a_one_time_password(services, visitor, role):
    at = page("set_password", visitor(role).token).run()
    assert not at.exception
    assert is_empty(at)


def test_one_time_password_user_is_asked_to_choose_a_password(services, visitor):
    at = page("set_password", visitor("must-change", username="newbie").token).run()
    assert titles(at) == ["Set your password"]
    intro = at.markdown[0].value
    assert "**newbie**" in intro
    assert "at least 12 characters" in intro
    assert [t.label for t in at.text_input] == ["New password", "Repeat it"]
    assert all(t.proto.type == t.proto.PASSWORD for t in at.text_input)
    assert all(t.proto.autocomplete == "new-password" for t in at.text_input)


@pytest.mark.parametrize(
    ("new", "repeat", "problem"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "!", "The passwords do not match."),
        ("short", "short", "Use at least 12 characters (you have 5)."),
        ("", "", "Use at least 12 characters (you have 0)."),
        (
            "newbie-rules-forever",
            "newbie-rules-forever",
            "This password is too close to your username, email or the app's name.",
        ),
        (
            "passwordpassword",
            "passwordpassword",
            # zxcvbn's reason and advice follow.
            "This password is too common or too easy to guess. Repeats like",
        ),
    ],
    ids=["mismatch", "too-short", "empty", "like-username", "common"],
)
def test_bad_password_shows_why_and_changes_nothing(
    services, newbie, sign_in, new, repeat, problem
):
    user, _ = newbie
    token = sign_in(user)
    at = save(page("set_password", token).run(), new, repeat)
    assert len(errors(at)) == 1 and errors(at)[0].startswith(problem)
    assert titles(at) == ["Set your password"]
    stored = services.store.get_user(user.id)
    assert stored.must_change_password
    assert stored.password_hash == user.password_hash
    assert verify_session(services, token) is not None


def test_saving_clears_the_flag_keeps_this_session_and_ends_the_others(
    services, newbie, sign_in, make_user
):
    user, one_time = newbie
    token, other = sign_in(user), sign_in(user)
    carol_token = sign_in(make_user("carol"))
    at = save(page("set_password", token).run(), NEW_PASSWORD, NEW_PASSWORD)
    assert not at.error
    assert not services.store.get_user(user.id).must_change_password
    assert verify_session(services, token) is not None
    assert verify_session(services, other) is None
    assert verify_session(services, carol_token) is not None
    assert authenticate(services, "newbie", NEW_PASSWORD) is not None
    assert authenticate(services, "newbie", one_time) is None
    # The page reran and, with no one-time password left, shows nothing.
    assert is_empty(at)


def test_after_saving_the_app_opens_home(services, newbie, sign_in):
    user, _ = newbie
    at = app(MAIN, sign_in(user)).run()
    assert titles(at) == ["Set your password"]
    save(at, NEW_PASSWORD, NEW_PASSWORD)
    assert titles(at) == ["Welcome, newbie"]
    assert menu_titles(at) == ["Home", "Account"]


def test_stale_session_cannot_set_a_password(services, newbie, sign_in):
    user, _ = newbie
    token = sign_in(user)
    at = page("set_password", token).run()
    services.store.revoke_user_sessions(user.id, now=services.now())
    by_label = {t.label: t for t in at.text_input}
    by_label["New password"].set_value(NEW_PASSWORD)
    by_label["Repeat it"].set_value(NEW_PASSWORD)
    next(b for b in at.button if b.label == "Save password").click().run()
    assert at.user["is_logged_in"] is False
    assert is_empty(at)
    assert services.store.get_user(user.id).must_change_password
