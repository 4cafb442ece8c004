"""Email confirmation page: the link verifies once, signed in or not."""

from __future__ import annotations

from auth.domain import recovery
from auth.store import UserChanges
from auth.texts import T
from tests.app_pages.support import errors, page, titles
from tests.conftest import token_in


def open_link(token: str, session: str | None = None):
    at = page("verify_email", session)
    at.query_params["token"] = token
    return at.run()


def test_without_a_token_the_page_explains(services):
    at = page("verify_email").run()
    assert titles(at) == ["Confirm your email address"] and at.info


def test_the_link_verifies_once_and_leaves_the_address_bar(services, mail, make_user):
    user = services.store.update_user(make_user("vic").id, UserChanges(email_verified=False))
    recovery.send_verification(services, user)
    token = token_in(mail.last(), "verify_email")
    at = open_link(token)
    assert "token" not in at.query_params
    assert at.success[0].value == "Thank you: vic@example.com is confirmed."
    assert services.store.get_user(user.id).email_verified
    assert errors(open_link(token)) == [T.invalid_link]


def test_a_signed_in_user_can_open_it_too(services, mail, make_user, sign_in):
    user = services.store.update_user(make_user("vic").id, UserChanges(email_verified=False))
    recovery.send_verification(services, user)
    at = open_link(token_in(mail.last(), "verify_email"), sign_in(user))
    assert at.success and not at.exception


def test_an_email_change_link_switches_the_address(services, make_user):
    from datetime import timedelta

    from auth.domain import tokens

    user = make_user("vic")
    secret = tokens.issue_token(
        services,
        user,
        tokens.CHANGE_EMAIL,
        email="vic.new@example.com",
        lifetime=timedelta(hours=1),
    )
    at = open_link(secret)
    assert at.success[0].value == "Thank you: vic.new@example.com is confirmed."
    assert services.store.get_user(user.id).email == "vic.new@example.com"


def test_junk_is_refused(services):
    for token in ("junk", "x" * 400, "<script>alert(1)</script>"):
        assert errors(open_link(token)) == [T.invalid_link]
