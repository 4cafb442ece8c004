"""The sign-in page after st.login (`at.user` as Streamlit sets it), its buttons, and main.py."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from auth.domain.sessions import issue_ticket, token_id
from auth.store import UserChanges
from auth.texts import T
from auth.web import cookies
from auth.web.routes import SESSION_PATH, auth_routes
from tests.app_pages.support import (
    MAIN,
    app,
    errors,
    is_empty,
    menu_titles,
    page,
    redirect_url,
    signed_in,
    titles,
)

ORIGIN = "http://localhost:8501"
PROVIDER_SECRETS = {
    "client_id": "id-123",
    "client_secret": "s3cret-value",
    "server_metadata_url": "http://localhost:9999/.well-known/openid-configuration",
}


@pytest.fixture
def guests(services):
    services.settings = dataclasses.replace(
        services.settings, oidc_providers=("google", "generic"), guest_roles=("viewer",)
    )
    return services


def after_login(script="login", sub="g-1", provider="google", **extra):
    """A browser coming back from the provider: Streamlit's cookie holds the claims."""
    at = page(script) if script != "main" else app(MAIN)
    at.user = {
        "is_logged_in": True,
        "provider": provider,
        "sub": sub,
        "email": "gina@example.com",
        "email_verified": True,
        "name": "Gina Guest",
        **extra,
    }
    return at


def with_secrets(at, *providers):
    at.secrets["auth"] = {
        "cookie_secret": "c" * 48,
        "redirect_uri": f"{ORIGIN}/oauth2callback",
        **{name: dict(PROVIDER_SECRETS) for name in providers},
    }
    return at


def ticket_of(at) -> str:
    url = redirect_url(at)
    assert url is not None and url.startswith(f"{SESSION_PATH}?ticket="), url
    return url.removeprefix(f"{SESSION_PATH}?ticket=")


def redeem(ticket: str):
    """The route's answer to the browser following the redirect."""
    client = TestClient(Starlette(routes=auth_routes()), follow_redirects=False)
    response = client.get(SESSION_PATH, params={"ticket": ticket})
    value = response.cookies.get(cookies.USER_COOKIE_NAME)
    assert response.status_code == 303 and value, response.text
    return cookies.decode(value.strip('"'))


def sign_in_as_guest(services, **claims) -> str:
    """The whole path: back from the provider, the page's ticket, the route's cookie; the sid."""
    at = after_login(**claims).run()
    assert not at.exception and not errors(at)
    return redeem(ticket_of(at))["sid"]


# --- buttons ---------------------------------------------------------------------------


def test_without_providers_the_page_has_no_oidc_part(services):
    at = with_secrets(page("login"), "google").run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.caption


def test_one_button_per_configured_provider_and_a_hint_for_the_others(guests):
    at = with_secrets(page("login"), "generic").run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with single sign-on", "Sign in"]
    [hint] = [c.value for c in at.caption]
    assert "Google is not set up" in hint and "[auth.google]" in hint
    # The password form is still there.
    assert [t.label for t in at.text_input] == ["Username or email", "Password"]


def test_two_configured_providers_get_two_buttons(guests):
    at = with_secrets(page("login"), "google", "generic").run()
    labels = [b.label for b in at.button]
    assert labels == ["Sign in with Google", "Sign in with single sign-on", "Sign in"]
    assert not at.caption


# --- back from the provider --------------------------------------------------------------


def test_back_from_the_provider_the_guest_is_provisioned_and_handed_a_ticket(guests):
    at = after_login().run()
    assert not at.exception and not errors(at)
    assert [i.value for i in at.info] == ["Signing you in…"]
    # The password form is not drawn on this run.
    assert not at.text_input
    user = guests.store.find_user_by_identity("google", "g-1")
    assert user is not None and user.roles == ("viewer",) and user.display_name == "Gina Guest"
    payload = redeem(ticket_of(at))
    # Our session, and the provider kept for st.logout's end-session redirect.
    assert payload["provider"] == "google" and payload["is_logged_in"]
    assert set(payload) == {"origin", "is_logged_in", "sid", "provider"}
    session = guests.store.get_session(token_id(payload["sid"]))
    assert session.user_id == user.id and session.method == "google"


def test_a_password_session_cookie_carries_no_provider(services, make_user):
    bob = make_user("bob")
    payload = redeem(issue_ticket(services, bob, origin=ORIGIN))
    assert "provider" not in payload


def test_signed_in_guest_lands_on_home_with_the_guest_role_and_no_admin_pages(guests):
    token = sign_in_as_guest(guests)
    at = app(MAIN, token, provider="google").run()
    assert not at.exception and signed_in(at)
    assert titles(at) == ["Welcome, Gina Guest"]
    assert "Home" in menu_titles(at) and "Users" not in menu_titles(at)


def test_a_later_sign_in_updates_name_and_email(guests):
    sign_in_as_guest(guests)
    sign_in_as_guest(guests, email="gina@new.example", name="Gina New")
    [user] = guests.store.list_users()
    assert (user.email, user.first_name) == ("gina@new.example", "Gina New")


def test_disabled_guest_is_refused_with_a_way_back(guests):
    sign_in_as_guest(guests)
    user = guests.store.find_user_by_identity("google", "g-1")
    guests.store.update_user(user.id, UserChanges(disabled=True))
    at = after_login().run()
    assert errors(at) == [T.oidc_refused]
    assert redirect_url(at) is None
    assert [b.label for b in at.button] == ["Back to sign-in"]
    assert not at.text_input


def test_email_domain_outside_the_allowlist_is_refused(guests):
    guests.settings = dataclasses.replace(guests.settings, guest_email_domains=("corp.example",))
    at = after_login().run()
    assert errors(at) == [T.oidc_domain_refused] and redirect_url(at) is None
    assert guests.store.count_users() == 0


def test_unverified_email_of_an_admin_does_not_sign_in_as_that_admin(guests, admin):
    at = after_login(email=admin.email, email_verified=False).run()
    payload = redeem(ticket_of(at))
    session = guests.store.get_session(token_id(payload["sid"]))
    guest = guests.store.get_user(session.user_id)
    assert guest.id != admin.id and not guest.is_admin and guest.email == ""


def test_verified_email_of_an_existing_account_is_refused(guests, admin):
    at = after_login(email=admin.email).run()
    assert errors(at) == [T.oidc_email_taken] and redirect_url(at) is None


@pytest.mark.parametrize("change", ["disable", "revoke", "expire", "delete"])
def test_guest_session_ends_on_the_next_run_though_streamlits_cookie_is_valid(
    guests, clock, change
):
    token = sign_in_as_guest(guests)
    at = app(MAIN, token, provider="google").run()
    assert signed_in(at) and not at.exception
    user = guests.store.find_user_by_identity("google", "g-1")
    if change == "disable":
        guests.store.update_user(user.id, UserChanges(disabled=True))
    elif change == "revoke":
        guests.store.revoke_user_sessions(user.id, now=clock.now)
    elif change == "delete":
        guests.store.delete_user(user.id)
    else:
        clock.advance(days=guests.settings.session_lifetime.days, seconds=1)
    at.run()
    # The guard called st.logout(): the cookie is dropped and nothing of the app shows.
    assert not at.exception
    assert at.user["is_logged_in"] is False
    assert is_empty(at) and not at.title
