"""Reset password page: the token leaves the URL, the policy applies, no sign-in follows."""

from __future__ import annotations

import pytest

from auth.domain import recovery
from auth.domain.login import authenticate
from auth.domain.sessions import verify_session
from auth.texts import T
from tests.app_pages.support import errors, page, redirect_url, titles
from tests.conftest import PASSWORD, token_in

NEW = "copper meadow violin 88"


@pytest.fixture
def ann(make_user):
    return make_user("ann")


@pytest.fixture
def reset_token(services, mail, ann):
    recovery.forgot_password(services, "ann")
    return token_in(mail.last(), "reset_password")


def open_link(token: str):
    at = page("reset_password")
    at.query_params["token"] = token
    return at.run()


def save(at, new: str, repeat: str | None = None):
    fields = {t.label: t for t in at.text_input}
    fields["New password"].set_value(new)
    fields["Repeat it"].set_value(new if repeat is None else repeat)
    next(b for b in at.button if b.label == "Save new password").click().run()
    assert not at.exception
    return at


def test_without_a_token_the_page_explains(services):
    at = page("reset_password").run()
    assert titles(at) == ["Choose a new password"]
    assert not at.text_input and "reset email" in at.info[0].value


def test_the_token_is_taken_out_of_the_address_bar(services, reset_token):
    at = open_link(reset_token)
    assert "token" not in at.query_params
    assert [t.label for t in at.text_input] == ["New password", "Repeat it"]
    assert all(t.proto.autocomplete == "new-password" for t in at.text_input)


def test_a_new_password_ends_every_session_and_signs_nobody_in(
    services, mail, ann, reset_token, sign_in
):
    old_session = sign_in(ann)
    at = save(open_link(reset_token), NEW)
    assert "Sign in with the new password" in at.success[0].value
    assert redirect_url(at) is None
    assert verify_session(services, old_session) is None
    assert authenticate(services, "ann", NEW) and not authenticate(services, "ann", PASSWORD)
    assert "password was changed" in mail.last()["Subject"]
    # The link is used up.
    at = save(open_link(reset_token), "another fine passphrase 9")
    assert errors(at) == [T.invalid_link]


def test_the_strength_hint_shows_while_typing(services, reset_token):
    at = open_link(reset_token)
    at.text_input[0].set_value("short").run()
    assert at.caption[0].value.startswith("Not accepted yet: Use at least 12")
    at.text_input[0].set_value(NEW).run()
    assert at.caption[0].value.startswith("Strength: ")


@pytest.mark.parametrize(
    ("new", "repeat", "problem"),
    [
        ("", "", "Use at least 12"),
        ("short", "short", "Use at least 12"),
        ("password1234", "password1234", "This password is too common"),
        ("x" * 1025, "x" * 1025, "Use at most 1024"),
        (NEW, NEW + "x", "The two passwords do not match"),
        ("ann-ann-ann-ann", "ann-ann-ann-ann", "This password is too"),
    ],
)
def test_a_refused_password_changes_nothing_and_the_link_still_works(
    services, ann, reset_token, new, repeat, problem
):
    at = save(open_link(reset_token), new, repeat)
    assert len(errors(at)) == 1 and errors(at)[0].startswith(problem)
    assert authenticate(services, "ann", PASSWORD)
    save(at, NEW)
    assert at.success and authenticate(services, "ann", NEW)


@pytest.mark.parametrize(
    "token", ["", "garbage", "x" * 300, "<script>alert(1)</script>", "' OR 1=1"]
)
def test_a_bad_or_forged_token_is_refused(services, ann, token):
    at = open_link(token)
    if not at.text_input:  # an empty token is no token
        return
    at = save(at, NEW)
    assert errors(at) == [T.invalid_link]
    assert authenticate(services, "ann", PASSWORD)


def test_an_expired_link_is_refused(services, clock, ann, reset_token):
    at = open_link(reset_token)
    clock.advance(hours=2)
    save(at, NEW)
    assert errors(at) == [T.invalid_link]


def test_a_link_dies_when_the_password_changes_meanwhile(services, ann, reset_token):
    from auth.domain import users

    users.set_password(services, ann, "changed by the admin 42")
    at = save(open_link(reset_token), NEW)
    assert errors(at) == [T.invalid_link]
