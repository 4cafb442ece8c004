"""Guest sign-in after st.login: provisioning, updates, domain and linking rules, refusals."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from auth.domain import audit, oidc
from auth.domain.sessions import start_session, verify_session
from auth.store import AuditQuery, UserChanges
from auth.texts import T

SECRETS_OK: dict[str, Any] = {
    "auth": {
        "cookie_secret": "x" * 40,
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "google": {
            "client_id": "id-123",
            "client_secret": "s3cret",
            "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
        },
    }
}


@pytest.fixture
def guests(services):
    """Services with Google and a generic provider enabled; guests get "viewer"."""
    services.settings = dataclasses.replace(
        services.settings, oidc_providers=("google", "generic"), guest_roles=("viewer",)
    )
    return services


def claims(sub="g-1", provider="google", **extra):
    """Streamlit's st.user right after st.login (no session id yet)."""
    info = {
        "is_logged_in": True,
        "provider": provider,
        "sub": sub,
        "iss": "https://accounts.google.com",
        "email": "gina@example.com",
        "email_verified": True,
        "given_name": "Gina",
        "family_name": "Guest",
    }
    info.update(extra)
    return {k: v for k, v in info.items() if v is not None}


def events(services, event=None, outcome=None):
    found = services.store.list_audit(AuditQuery(event=event or "", outcome=outcome or ""))
    return [(e.event, e.outcome, e.method, e.detail) for e in found]


def test_first_sign_in_provisions_a_guest_keyed_on_provider_and_subject(guests):
    outcome = oidc.sign_in_guest(guests, claims(), ip="10.0.0.1")
    user = outcome.user
    assert user is not None and outcome.message == ""
    assert user.is_guest and user.auth_source == "google"
    assert user.roles == ("viewer",)
    assert user.password_hash is None
    assert (user.email, user.email_verified) == ("gina@example.com", True)
    assert (user.first_name, user.last_name) == ("Gina", "Guest")
    assert user.username == oidc.guest_username("google", "g-1")
    assert guests.store.find_user_by_identity("google", "g-1").id == user.id
    assert guests.store.get_user(user.id).last_login_at == guests.now()
    assert events(guests, audit.GUEST_PROVISIONED) == [
        (audit.GUEST_PROVISIONED, audit.SUCCESS, "google", "roles=viewer")
    ]


def test_later_sign_ins_reuse_the_guest_and_update_name_and_email(guests, clock):
    first = oidc.sign_in_guest(guests, claims()).user
    clock.advance(days=1)
    again = oidc.sign_in_guest(
        guests, claims(email="gina.new@example.com", given_name="Regina", family_name="G")
    ).user
    assert again.id == first.id
    assert (again.email, again.first_name, again.last_name) == (
        "gina.new@example.com",
        "Regina",
        "G",
    )
    assert guests.store.count_users() == 1
    assert len(events(guests, audit.GUEST_PROVISIONED)) == 1
    assert guests.store.get_user(first.id).last_login_at == clock.now


def test_admin_changes_to_roles_survive_later_sign_ins(guests):
    user = oidc.sign_in_guest(guests, claims()).user
    guests.store.update_user(user.id, UserChanges(roles=("editor", "viewer")))
    assert oidc.sign_in_guest(guests, claims()).user.roles == ("editor", "viewer")


def test_a_squatted_guest_username_gets_a_random_one_instead(guests, make_user):
    squatter = make_user(oidc.guest_username("google", "g-1"), roles=("editor",))
    user = oidc.sign_in_guest(guests, claims()).user
    assert user.id != squatter.id and user.username.startswith("google-")
    assert user.username != squatter.username and user.roles == ("viewer",)
    assert oidc.sign_in_guest(guests, claims()).user.id == user.id


def test_concurrent_first_sign_ins_provision_one_guest(guests):
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: oidc.sign_in_guest(guests, claims()), range(8)))
    assert len({o.user.id for o in outcomes}) == 1
    assert guests.store.count_users() == 1
    assert len(events(guests, audit.GUEST_PROVISIONED)) == 1


def test_same_subject_at_another_provider_is_another_guest(guests):
    a = oidc.sign_in_guest(guests, claims(email=None)).user
    b = oidc.sign_in_guest(guests, claims(provider="generic", email=None)).user
    assert a.id != b.id and b.auth_source == "generic"


def test_name_claim_is_used_when_given_and_family_names_are_missing(guests):
    user = oidc.sign_in_guest(
        guests, claims(given_name=None, family_name=None, name="Gina Guest")
    ).user
    assert (user.first_name, user.last_name) == ("Gina Guest", "")


def test_unverified_email_is_not_stored(guests):
    user = oidc.sign_in_guest(guests, claims(email_verified=False)).user
    assert user.email == "" and not user.email_verified


def test_email_verified_as_string_true_counts_as_verified(guests):
    assert oidc.sign_in_guest(guests, claims(email_verified="true")).user.email


def test_unverified_email_of_an_existing_account_never_links_to_it(guests, make_user):
    alice = make_user("alice", email="alice@example.com", roles=("admin",))
    user = oidc.sign_in_guest(guests, claims(email="alice@example.com", email_verified=False)).user
    assert user.id != alice.id and user.email == "" and user.roles == ("viewer",)
    assert guests.store.get_user(alice.id).auth_source == "local"


def test_verified_email_of_an_existing_account_is_refused_not_linked(guests, make_user):
    alice = make_user("alice", email="alice@example.com", roles=("admin",))
    outcome = oidc.sign_in_guest(guests, claims(email="ALICE@example.com"))
    assert outcome.user is None and outcome.message == T.oidc_email_taken
    assert guests.store.find_user_by_identity("google", "g-1") is None
    assert guests.store.count_users() == 1
    assert guests.store.get_user(alice.id).auth_source == "local"
    assert events(guests, audit.SIGN_IN) == [
        (audit.SIGN_IN, audit.FAILURE, "google", "email belongs to an account")
    ]


def test_later_email_that_belongs_to_someone_else_keeps_the_old_one(guests, make_user):
    make_user("alice", email="alice@example.com")
    oidc.sign_in_guest(guests, claims())
    user = oidc.sign_in_guest(guests, claims(email="alice@example.com", given_name="G2")).user
    assert (user.email, user.first_name) == ("gina@example.com", "G2")


def test_domain_allowlist_admits_only_verified_emails_in_listed_domains(guests):
    guests.settings = dataclasses.replace(guests.settings, guest_email_domains=("example.org",))
    refused = oidc.sign_in_guest(guests, claims(email="gina@example.com"))
    assert refused.user is None and refused.message == T.oidc_domain_refused
    unverified = oidc.sign_in_guest(
        guests, claims(sub="g-2", email="gina@example.org", email_verified=False)
    )
    assert unverified.user is None
    # A look-alike domain is not the domain.
    assert oidc.sign_in_guest(guests, claims(sub="g-3", email="gina@evil-example.org")).user is None
    assert guests.store.count_users() == 0
    assert oidc.sign_in_guest(guests, claims(sub="g-4", email="Gina@Example.ORG")).user is not None
    assert sorted(d for *_, d in events(guests, audit.SIGN_IN, audit.FAILURE)) == [
        "email domain not allowed",
        "email domain not allowed",
        "no verified email",
    ]


def test_disabled_guest_is_refused(guests):
    user = oidc.sign_in_guest(guests, claims()).user
    guests.store.update_user(user.id, UserChanges(disabled=True))
    outcome = oidc.sign_in_guest(guests, claims())
    assert outcome.user is None and outcome.message == T.oidc_refused
    assert events(guests, audit.SIGN_IN)[0] == (audit.SIGN_IN, audit.FAILURE, "google", "disabled")
    [refusal] = guests.store.list_audit(AuditQuery(event=audit.SIGN_IN, outcome=audit.FAILURE))
    assert refusal.target == user.username and refusal.actor == ""


def test_locked_guest_is_refused(guests, clock):
    user = oidc.sign_in_guest(guests, claims()).user
    guests.store.record_login_failure(
        user.id, now=clock.now, max_attempts=1, lockout_until=clock.now + timedelta(minutes=5)
    )
    assert oidc.sign_in_guest(guests, claims()).message == T.oidc_refused


@pytest.mark.parametrize(
    "info",
    [
        claims(sub=None),
        claims(sub=""),
        claims(sub=" padded "),
        claims(sub="x" * 256),
        claims(sub=12345),
        claims(provider="okta"),  # not enabled in settings
        {**claims(), "sid": "already-a-session"},
        {**claims(), "is_logged_in": False},
        {},
    ],
    ids=["no-sub", "empty", "padded", "huge", "not-text", "other-provider", "sid", "out", "none"],
)
def test_unusable_claims_are_refused_and_change_nothing(guests, info):
    outcome = oidc.sign_in_guest(guests, info)
    assert outcome.user is None and outcome.message
    assert guests.store.count_users() == 0


def test_hostile_names_and_emails_are_cleaned(guests):
    user = oidc.sign_in_guest(
        guests,
        claims(
            given_name="Gi\u202ena\x00" + "x" * 500,
            family_name=["not", "text"],
            email="not an email",
        ),
    ).user
    assert user.first_name.startswith("Gina") and len(user.first_name) == 100
    assert user.last_name == "" and user.email == ""


def test_begin_issues_a_ticket_whose_session_keeps_the_provider(guests):
    result = oidc.begin_guest_sign_in(guests, claims(), origin="http://localhost:8501")
    assert result.ticket and not result.message
    token, ticket, user = start_session(guests, result.ticket)
    assert ticket.method == "google" == user.auth_source
    identity = verify_session(guests, token)
    assert identity.user.id == user.id and identity.session.method == "google"
    assert events(guests, audit.SIGN_IN) == [(audit.SIGN_IN, audit.SUCCESS, "google", "")]


def test_begin_refusal_issues_no_ticket(guests):
    user = oidc.sign_in_guest(guests, claims()).user
    guests.store.update_user(user.id, UserChanges(disabled=True))
    result = oidc.begin_guest_sign_in(guests, claims(), origin="http://localhost:8501")
    assert result.ticket is None and result.message == T.oidc_refused


def test_seat_limit_applies_to_guests(guests, make_user, sign_in):
    guests.settings = dataclasses.replace(guests.settings, max_concurrent_users=1)
    sign_in(make_user("bob"))
    result = oidc.begin_guest_sign_in(guests, claims(), origin="http://localhost:8501")
    assert result.ticket is None and "Too many" in result.message


def test_disabling_or_revoking_a_guest_ends_its_session_on_the_next_check(guests, clock):
    def signed_in_guest():
        ticket = oidc.begin_guest_sign_in(guests, claims(), origin="http://x").ticket
        return start_session(guests, ticket)

    token, _, user = signed_in_guest()
    assert verify_session(guests, token)
    guests.store.revoke_user_sessions(user.id, now=clock.now)
    assert verify_session(guests, token) is None

    token, _, _ = signed_in_guest()
    guests.store.update_user(user.id, UserChanges(disabled=True))
    assert verify_session(guests, token) is None

    guests.store.update_user(user.id, UserChanges(disabled=False))
    token, _, _ = signed_in_guest()
    clock.advance(days=guests.settings.session_lifetime.days, seconds=1)
    assert verify_session(guests, token) is None


# --- which providers get a button ----------------------------------------------------


def test_a_provider_with_complete_secrets_is_ready():
    assert oidc.configured_providers(("google",), SECRETS_OK) == (["google"], [])


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["auth"].pop("google"),
        lambda s: s["auth"].pop("redirect_uri"),
        lambda s: s["auth"].update(redirect_uri="http://localhost:8501/"),
        lambda s: s["auth"]["google"].pop("client_secret"),
        lambda s: s["auth"]["google"].update(client_id=""),
        lambda s: s["auth"]["google"].update(client_id="replace-with-client-id"),
        lambda s: s["auth"]["google"].update(server_metadata_url=42),
        lambda s: s["auth"].update(google="not a table"),
        lambda s: s.pop("auth"),
    ],
)
def test_a_provider_with_missing_or_placeholder_secrets_is_not_ready(change):
    secrets = {"auth": {**SECRETS_OK["auth"], "google": dict(SECRETS_OK["auth"]["google"])}}
    change(secrets)
    assert oidc.configured_providers(("google",), secrets) == ([], ["google"])


def test_providers_keep_the_configured_order():
    secrets = {"auth": {**SECRETS_OK["auth"], "generic": SECRETS_OK["auth"]["google"]}}
    assert oidc.configured_providers(("generic", "okta", "google"), secrets) == (
        ["generic", "google"],
        ["okta"],
    )
