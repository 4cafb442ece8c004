"""/api/auth/session: redeems a one-time ticket, sets Streamlit's signed cookie, goes home."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from auth.domain import users
from auth.domain.sessions import issue_ticket, token_id, verify_session
from auth.web import cookies
from auth.web.routes import SESSION_PATH, auth_routes

ORIGIN = "http://localhost:8501"


@pytest.fixture
def client(services):
    return TestClient(Starlette(routes=auth_routes()), follow_redirects=False)


@pytest.fixture
def bob(make_user):
    return make_user("bob", first_name="Bob", last_name="Stone")


@pytest.fixture
def ticket(services, bob):
    value = issue_ticket(services, bob, origin=ORIGIN, user_agent="pytest", ip="127.0.0.1")
    assert value is not None
    return value


def redeem(client, ticket: str, **headers):
    return client.get(SESSION_PATH, params={"ticket": ticket}, headers=headers)


def session_cookies(response) -> list[SimpleCookie]:
    """Every Set-Cookie for Streamlit's user cookie in this response (not the client's jar)."""
    found = []
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie()
        jar.load(header)
        if cookies.USER_COOKIE_NAME in jar:
            found.append(jar)
    return found


def the_cookie(response):
    [jar] = session_cookies(response)
    return jar[cookies.USER_COOKIE_NAME]


def assert_refused(response) -> None:
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert session_cookies(response) == []
    assert response.headers["cache-control"] == "no-store"


def test_valid_ticket_sets_the_cookie_and_redirects_home(services, client, ticket):
    response = redeem(client, ticket)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    morsel = the_cookie(response)
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/"
    lifetime = services.settings.session_lifetime.total_seconds()
    assert 0 < int(morsel["max-age"]) <= lifetime
    assert int(morsel["max-age"]) <= cookies.AUTH_COOKIE_MAX_AGE_SECONDS
    assert not morsel["secure"]  # plain http origin


def test_cookie_carries_a_session_the_store_accepts(services, client, ticket, bob):
    payload = cookies.decode(the_cookie(redeem(client, ticket)).value)
    assert payload["origin"] == ORIGIN
    assert payload["is_logged_in"] is True
    identity = verify_session(services, payload["sid"])
    assert identity is not None
    assert identity.user.id == bob.id
    assert identity.session.id == token_id(payload["sid"])
    assert identity.session.user_agent == "pytest"
    assert identity.session.ip == "127.0.0.1"


def test_cookie_holds_no_personal_data_and_stays_small(services, client, ticket, bob):
    value = the_cookie(redeem(client, ticket)).value
    payload = cookies.decode(value)
    assert set(payload) == {"origin", "is_logged_in", "sid"}
    text = json.dumps(payload) + value
    for personal in (bob.username, bob.email, bob.first_name, bob.last_name, "viewer"):
        assert personal not in text
    assert bob.password_hash not in text
    assert len(f"{cookies.USER_COOKIE_NAME}={value}") < 4096


def test_tampered_cookie_does_not_decode(services, client, ticket):
    value = the_cookie(redeem(client, ticket)).value
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert cookies.decode(flipped) is None


def test_https_origin_gets_a_secure_cookie(services, client, bob):
    ticket = issue_ticket(services, bob, origin="https://portal.example.com")
    morsel = the_cookie(redeem(client, ticket))
    assert morsel["secure"] is True
    assert cookies.decode(morsel.value)["origin"] == "https://portal.example.com"


def test_ticket_works_only_once(services, client, ticket):
    first = redeem(client, ticket)
    assert len(session_cookies(first)) == 1
    assert_refused(redeem(client, ticket))


def test_expired_ticket_is_refused(services, client, clock, ticket, bob):
    clock.advance(seconds=61)
    assert_refused(redeem(client, ticket))
    assert services.store.list_sessions(bob.id, now=clock()) == []


def test_ticket_just_inside_its_minute_works(services, client, clock, ticket):
    clock.advance(seconds=59)
    assert len(session_cookies(redeem(client, ticket))) == 1


@pytest.mark.parametrize(
    "bad",
    ["", "unknown-ticket", "x" * 10_000, "' OR 1=1 --", "\x00"],
    ids=["empty", "unknown", "huge", "sql", "nul"],
)
def test_unknown_empty_or_huge_ticket_is_refused(services, client, ticket, bad):
    assert_refused(redeem(client, bad))
    # The real ticket was not touched by the failed attempt.
    assert len(session_cookies(redeem(client, ticket))) == 1


def test_missing_ticket_is_refused(services, client):
    assert_refused(client.get(SESSION_PATH))


def test_ticket_hash_is_not_a_ticket(services, client, ticket):
    # The store keeps SHA-256(ticket): reading the database must not let anyone sign in.
    assert_refused(redeem(client, token_id(ticket)))


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_cross_site_request_is_refused_before_the_ticket_is_used(services, client, ticket, site):
    response = redeem(client, ticket, **{"Sec-Fetch-Site": site})
    assert response.status_code == 403
    assert session_cookies(response) == []
    assert response.headers["cache-control"] == "no-store"
    # Refused before redemption: the ticket still works from the app itself.
    assert len(session_cookies(redeem(client, ticket, **{"Sec-Fetch-Site": "same-origin"}))) == 1


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_same_origin_or_typed_navigation_is_accepted(services, client, ticket, site):
    response = redeem(client, ticket, **{"Sec-Fetch-Site": site})
    assert response.status_code == 303
    assert len(session_cookies(response)) == 1


def test_only_get_is_allowed(services, client, ticket):
    response = client.post(SESSION_PATH, params={"ticket": ticket})
    assert response.status_code == 405
    assert len(session_cookies(redeem(client, ticket))) == 1


def test_ticket_of_a_user_disabled_after_issue_is_refused(services, client, ticket, bob, clock):
    users.set_disabled(services, bob, True)
    assert_refused(redeem(client, ticket))
    assert services.store.list_sessions(bob.id, now=clock()) == []


def test_ticket_of_a_user_deleted_after_issue_is_refused(services, client, ticket, bob):
    users.delete_user(services, bob)
    assert_refused(redeem(client, ticket))


def test_every_sign_in_gets_a_new_session_id(services, client, bob, clock):
    sids = set()
    for _ in range(2):
        ticket = issue_ticket(services, bob, origin=ORIGIN)
        sids.add(cookies.decode(the_cookie(redeem(client, ticket)).value)["sid"])
    assert len(sids) == 2
    assert all(verify_session(services, sid) is not None for sid in sids)
    assert len(services.store.list_sessions(bob.id, now=clock())) == 2


def test_cookie_planted_before_sign_in_is_ignored_and_replaced(services, client, bob):
    planted = cookies.encode(origin=ORIGIN, session_token="attacker-chosen-token")
    client.cookies.set(cookies.USER_COOKIE_NAME, planted)
    ticket = issue_ticket(services, bob, origin=ORIGIN)
    sid = cookies.decode(the_cookie(redeem(client, ticket)).value)["sid"]
    assert sid != "attacker-chosen-token"
    assert verify_session(services, "attacker-chosen-token") is None
