"""The email change's link, opened on the confirmation page (app_pages/verify_email.py).

Anyone may open it, signed in or not, once per link; the old address is told.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from auth.domain import account
from auth.domain.sessions import verify_session
from auth.store import UserChanges
from auth.texts import T
from tests.app_pages.support import MAIN, app, errors, menu_titles, page, titles
from tests.conftest import PASSWORD

NEW_EMAIL = "bob.new@example.com"
INVALID = T.invalid_link
CONFIRMED = f"Thank you: {NEW_EMAIL} is confirmed."
LINK_RE = re.compile(r"https?://\S+/verify_email\?token=\S+")


def to(mail, address: str) -> list:
    """The messages the loopback server received for `address`."""
    return [m for m in mail.messages if m["To"] == address]


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def link(services, mail, bob, sign_in):
    """Bob asked for NEW_EMAIL on his account page; the link as the mail carries it."""
    identity = verify_session(services, sign_in(bob))
    account.request_email_change(services, identity, NEW_EMAIL, PASSWORD)
    mail.wait_for(1)
    [message] = to(mail, NEW_EMAIL)
    return LINK_RE.search(message.get_content()).group(0)


def open_link(link: str, token: str | None = None):
    """The confirmation page as a browser opening `link` (with a cookie `token` if given)."""
    at = page("verify_email", token)
    at.query_params["token"] = parse_qs(urlsplit(link).query)["token"][0]
    return at.run()


def test_opening_the_link_changes_the_email_and_notifies_the_old_address(services, mail, bob, link):
    at = open_link(link)  # another browser: nobody is signed in
    assert not at.exception
    assert titles(at) == ["Confirm your email address"]
    assert [s.value for s in at.success] == [CONFIRMED]
    assert services.store.get_user(bob.id).email == NEW_EMAIL
    [notice] = to(mail, "bob@example.com")
    assert NEW_EMAIL in notice.get_content()
    # The token leaves the address bar; a rerun shows the same outcome.
    assert "token" not in at.query_params
    at.run()
    assert [s.value for s in at.success] == [CONFIRMED]


def test_the_link_works_signed_in_as_well(services, bob, sign_in, link):
    at = open_link(link, sign_in(bob))
    assert not at.exception and not at.error
    assert services.store.get_user(bob.id).email == NEW_EMAIL


def test_the_link_fails_the_second_time(services, bob, link):
    open_link(link)
    services.store.update_user(bob.id, UserChanges(email="bob@example.com"), keep_an_admin=False)
    at = open_link(link)
    assert errors(at) == [INVALID]
    assert not at.success
    assert services.store.get_user(bob.id).email == "bob@example.com"


def test_the_link_fails_after_it_expires(services, bob, link, clock):
    clock.advance(hours=24, seconds=1)
    at = open_link(link)
    assert errors(at) == [INVALID]
    assert services.store.get_user(bob.id).email == "bob@example.com"


@pytest.mark.parametrize(
    "token",
    ["", "x" * 5000, "' OR '1'='1", "<script>alert(1)</script>", "ünïcödé", "a\x00b"],
    ids=["empty", "huge", "sql", "html", "unicode", "control"],
)
def test_a_made_up_link_changes_nothing(services, bob, link, token):
    at = page("verify_email")
    at.query_params["token"] = token
    at.run()
    assert not at.exception
    assert errors(at) == [INVALID]
    assert services.store.get_user(bob.id).email == "bob@example.com"


def test_the_page_is_reachable_without_signing_in_and_not_in_the_menu(services, link):
    at = app(MAIN)
    at.run()
    assert menu_titles(at) == ["Sign in"]
    at.query_params["token"] = parse_qs(urlsplit(link).query)["token"][0]
    at.switch_page("app_pages/verify_email.py").run()
    assert not at.exception
    assert titles(at) == ["Confirm your email address"]
    assert [s.value for s in at.success] == [CONFIRMED]
    assert menu_titles(at) == ["Sign in"]
