"""The sign-in page's self-service parts: captcha after a failure, recovery links, the
unconfirmed-email hint."""

from __future__ import annotations

from dataclasses import replace  # [option: registration=invite_only,open]

import pytest  # [option: captcha=image]

from auth.domain import passwords  # [option: captcha=image]
from auth.store import UserChanges
from auth.texts import T
from auth.web import captcha_field, keys  # [option: captcha=image]
from tests.app_pages.support import (
    captcha_input,  # [option: captcha=image]
    errors,
    page,
    redirect_url,
    shape,  # [option: captcha=image]
    solve_captcha,  # [option: captcha=image]
)
from tests.conftest import PASSWORD, token_in


def attempt(at, login: str, password: str, *, answer: str | None = None):
    fields = {t.label: t for t in at.text_input}
    fields["Username or email"].set_value(login)
    fields["Password"].set_value(password)
    solve_captcha(at, "sign_in", answer)  # [option: captcha=image]
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception
    return at


def test_links_to_recovery_and_registration(services):
    text = " ".join(m.value for m in page("login").run().markdown)
    for label in ("Forgot your password?", "Forgot your username?"):
        assert label in text
    # [option: registration=invite_only,open]
    assert "Create an account" in text
    services.settings = replace(services.settings, registration="disabled")
    text = " ".join(m.value for m in page("login").run().markdown)
    # [end option: registration=invite_only,open]
    assert "Create an account" not in text


# [option: captcha=image]
@pytest.fixture
def with_captcha(services):
    if not captcha_field.available(services):
        pytest.skip("this project has no captcha")


def test_no_captcha_until_a_sign_in_fails(services, with_captcha, make_user):
    make_user("bob")
    at = page("login").run()
    assert captcha_input(at) is None
    attempt(at, "bob", "wrong guess number x")
    assert errors(at) == [T.sign_in_failed]
    assert captcha_input(at) is not None and len(at.get("image")) == 1
    attempt(at, "bob", PASSWORD)
    assert redirect_url(at)


def test_a_wrong_captcha_costs_no_hash_and_draws_a_new_picture(services, with_captcha, make_user):
    bob = make_user("bob")
    at = attempt(page("login").run(), "bob", "wrong guess number x")
    first = at.session_state[keys.captcha_challenge("sign_in")]
    before = passwords.hash_calls
    attempt(at, "bob", PASSWORD, answer="WRONG")
    assert passwords.hash_calls == before
    assert errors(at) == [T.captcha_failed] and redirect_url(at) is None
    assert at.session_state[keys.captcha_challenge("sign_in")] != first
    assert services.store.get_user(bob.id).failed_logins == 1
    attempt(at, "bob", PASSWORD, answer=first.answer)  # used up
    assert errors(at) == [T.captcha_failed]


@pytest.mark.parametrize("login", ["bob", "nobody"])
def test_a_new_browser_needs_the_captcha_for_a_name_that_failed(
    services, with_captcha, make_user, login
):
    make_user("bob")
    attempt(page("login").run(), login, "wrong guess number x")
    fresh = page("login").run()
    before = passwords.hash_calls
    # The captcha field is not there yet: the page asks for it without checking the password.
    fields = {t.label: t for t in fresh.text_input}
    fields["Username or email"].set_value(login.upper())
    fields["Password"].set_value(PASSWORD)
    next(b for b in fresh.button if b.label == "Sign in").click().run()
    assert passwords.hash_calls == before
    assert errors(fresh) == [T.captcha_needed] and captcha_input(fresh)
    attempt(fresh, login, PASSWORD)
    assert bool(redirect_url(fresh)) == (login == "bob")


def test_known_and_unknown_names_look_the_same_with_the_captcha(services, with_captcha, make_user):
    make_user("bob")
    shapes = []
    for login in ("bob", "nobody"):
        at = attempt(page("login").run(), login, "wrong guess number x")
        shapes.append(shape(at))
        fresh = page("login").run()
        fields = {t.label: t for t in fresh.text_input}
        fields["Username or email"].set_value(login)
        next(b for b in fresh.button if b.label == "Sign in").click().run()
        shapes.append(shape(fresh))
    assert shapes[0] == shapes[2] and shapes[1] == shapes[3]


# [end option: captcha=image]
def test_unconfirmed_email_hint_only_after_the_right_password_and_a_new_link(
    services, mail, make_user
):
    user = services.store.update_user(make_user("una").id, UserChanges(email_verified=False))
    at = attempt(page("login").run(), "una", "wrong guess number x")
    assert errors(at) == [T.sign_in_failed]
    at = attempt(at, "una", PASSWORD)  # the captcha, if any, is solved by attempt()
    assert (
        errors(at) == [f"{T.sign_in_failed} {T.sign_in_unverified_hint}"]
        and redirect_url(at) is None
    )
    next(b for b in at.button if b.label == "Send the confirmation link again").click().run()
    assert at.success
    token = token_in(mail.last("una@example.com"), "verify_email")
    verify = page("verify_email")
    verify.query_params["token"] = token
    verify.run()
    assert services.store.get_user(user.id).email_verified
    assert redirect_url(attempt(at, "una", PASSWORD))
