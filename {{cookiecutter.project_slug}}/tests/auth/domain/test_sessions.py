import dataclasses

from auth.domain.services import Services
from auth.domain.sessions import (
    TICKET_LIFETIME,
    end_session,
    issue_ticket,
    start_session,
    token_id,
    verify_session,
)
from auth.store import UserChanges


def test_a_session_verifies_until_its_absolute_expiry(services, make_user, sign_in, clock):
    token = sign_in(make_user())
    for _ in range(7):  # used every 23 hours, so never idle: 161 hours in all
        clock.advance(hours=23)
        assert verify_session(services, token) is not None
    clock.advance(hours=7)  # 168 hours: 7 days since sign-in
    assert verify_session(services, token) is None


def test_an_idle_session_ends_after_the_idle_timeout(services, make_user, sign_in, clock):
    token = sign_in(make_user())
    clock.advance(hours=23)
    assert verify_session(services, token) is not None  # and this use resets the idle clock
    clock.advance(hours=23)
    assert verify_session(services, token) is not None
    clock.advance(hours=24, seconds=1)
    assert verify_session(services, token) is None


def test_last_seen_is_written_at_most_once_a_minute(services, make_user, sign_in, clock):
    token = sign_in(make_user())
    created = services.store.get_session(token_id(token)).last_seen_at
    clock.advance(seconds=30)
    verify_session(services, token)
    assert services.store.get_session(token_id(token)).last_seen_at == created
    clock.advance(seconds=31)
    verify_session(services, token)
    assert services.store.get_session(token_id(token)).last_seen_at == clock.now


def test_signing_out_refuses_a_replayed_copy_of_the_cookie(services, make_user, sign_in):
    token = sign_in(make_user())
    end_session(services, token)
    assert verify_session(services, token) is None


def test_disabled_or_deleted_users_lose_their_sessions(services, make_user, sign_in):
    alice, bob = make_user("alice"), make_user("bob")
    alice_token, bob_token = sign_in(alice), sign_in(bob)
    services.store.update_user(alice.id, UserChanges(disabled=True))
    services.store.delete_user(bob.id)
    assert verify_session(services, alice_token) is None
    assert verify_session(services, bob_token) is None


def test_roles_are_read_fresh_on_every_verification(services, make_user, sign_in):
    user = make_user(roles=("viewer",))
    token = sign_in(user)
    services.store.update_user(user.id, UserChanges(roles=("editor",)))
    assert verify_session(services, token).roles == ("editor",)


def test_the_store_keeps_only_a_hash_of_the_token(services, make_user, sign_in):
    token = sign_in(make_user())
    assert services.store.get_session(token) is None
    assert services.store.get_session(token_id(token)) is not None


def test_every_sign_in_creates_a_new_session_id(services, make_user, sign_in):
    user = make_user()
    assert sign_in(user) != sign_in(user)
    assert len(services.store.list_sessions(user.id, now=services.now())) == 2


def test_unknown_malformed_or_missing_tokens_are_refused(services):
    for token in (None, "", "nope", "x" * 10_000, 42, {"sid": 1}):
        assert verify_session(services, token) is None  # type: ignore[arg-type]


def test_tickets_are_single_use_and_expire(services, make_user, clock):
    user = make_user()
    ticket = issue_ticket(services, user, origin="http://localhost:8501")
    assert start_session(services, ticket) is not None
    assert start_session(services, ticket) is None
    late = issue_ticket(services, user, origin="http://localhost:8501")
    clock.now += TICKET_LIFETIME
    assert start_session(services, late) is None


def test_a_ticket_for_a_user_disabled_meanwhile_is_refused(services, make_user):
    user = make_user()
    ticket = issue_ticket(services, user, origin="http://localhost:8501")
    services.store.update_user(user.id, UserChanges(disabled=True))
    assert start_session(services, ticket) is None


def test_single_session_setting_ends_older_sessions(services, make_user, sign_in):
    single = Services(
        settings=dataclasses.replace(services.settings, single_session=True),
        store=services.store,
        clock=services.clock,
    )
    user = make_user()
    first = sign_in(user)
    ticket = issue_ticket(single, user, origin="http://localhost:8501")
    second, _, _ = start_session(single, ticket)
    assert verify_session(single, first) is None
    assert verify_session(single, second) is not None


def test_concurrent_user_limit_counts_people_not_sessions(services, make_user, sign_in):
    limited = Services(
        settings=dataclasses.replace(services.settings, max_concurrent_users=1),
        store=services.store,
        clock=services.clock,
    )
    alice, bob = make_user("alice"), make_user("bob")
    sign_in(alice)
    assert issue_ticket(limited, alice, origin="http://x") is not None  # alice again: fine
    assert issue_ticket(limited, bob, origin="http://x") is None
