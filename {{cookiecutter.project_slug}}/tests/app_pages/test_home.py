"""The home page: only for verified, signed-in users who have set their own password."""

from __future__ import annotations

import pytest

from tests.app_pages.conftest import NOT_SIGNED_IN, SIGNED_IN_ROLES
from tests.app_pages.support import is_empty, page, titles


@pytest.mark.parametrize("role", SIGNED_IN_ROLES)
def test_signed_in_user_is_welcomed_with_their_roles(services, visitor, role):
    who = visitor(role)
    at = page("home", who.token).run()
    assert not at.exception
    assert titles(at) == [f"Welcome, {who.user.username}"]
    assert [c.value for c in at.caption] == [f"Your roles: {role}"]
    assert not at.warning and not at.error


@pytest.mark.parametrize("role", NOT_SIGNED_IN)
def test_home_shows_nothing_but_a_sign_in_hint_to_others(services, visitor, role):
    at = page("home", visitor(role).token).run()
    assert not at.exception
    assert not at.title and not at.caption and not at.markdown
    assert [w.value for w in at.warning] == ["Please sign in."]


def test_full_name_is_used_when_known(services, make_user, sign_in):
    user = make_user("bob", first_name="Bob", last_name="Stone")
    at = page("home", sign_in(user)).run()
    assert titles(at) == ["Welcome, Bob Stone"]


def test_stale_session_on_the_page_itself_is_signed_out(services, visitor):
    who = visitor("viewer")
    services.store.revoke_user_sessions(who.user.id, now=services.now())
    at = page("home", who.token).run()
    assert not at.exception
    assert at.user["is_logged_in"] is False
    assert is_empty(at)
