"""Emailed tokens: random, stored hashed, single use, expiring, dead after a password change."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from auth.domain import tokens, users
from auth.domain.sessions import token_id
from tests.conftest import PASSWORD


@pytest.fixture
def ann(make_user):
    return make_user("ann")


def test_a_token_is_long_random_and_only_its_hash_is_stored(services, ann):
    secret = tokens.issue_token(services, ann, "reset_password", lifetime=timedelta(hours=1))
    other = tokens.issue_token(services, ann, "reset_password", lifetime=timedelta(hours=1))
    assert len(secret) >= 43 and secret != other  # 32 random bytes = 256 bits
    assert services.store.redeem_token(secret, purpose="reset_password", now=services.now()) is None
    token = tokens.redeem(services, secret, "reset_password")
    assert token.id == token_id(secret) and token.user_id == ann.id
    assert token.email == ann.email


def test_a_token_works_once(services, ann):
    secret = tokens.issue_token(services, ann, "verify_email", lifetime=timedelta(hours=1))
    assert tokens.redeem(services, secret, "verify_email") is not None
    assert tokens.redeem(services, secret, "verify_email") is None


def test_a_token_of_another_purpose_is_refused_and_left_alone(services, ann):
    secret = tokens.issue_token(services, ann, "verify_email", lifetime=timedelta(hours=1))
    assert tokens.redeem(services, secret, "reset_password") is None
    assert tokens.redeem(services, secret, "verify_email") is not None


def test_a_token_expires(services, clock, ann):
    secret = tokens.issue_token(services, ann, "reset_password", lifetime=timedelta(minutes=30))
    clock.advance(minutes=30, seconds=1)
    assert tokens.redeem(services, secret, "reset_password") is None


def test_changing_the_password_kills_reset_tokens_but_not_others(services, ann):
    reset = tokens.issue_token(services, ann, "reset_password", lifetime=timedelta(hours=1))
    verify = tokens.issue_token(services, ann, "verify_email", lifetime=timedelta(hours=1))
    users.set_password(services, ann, "a brand new passphrase 7")
    assert tokens.redeem(services, reset, "reset_password") is None
    assert tokens.redeem(services, verify, "verify_email") is not None


def test_an_own_password_change_kills_reset_tokens(services, ann, sign_in):
    from auth.domain.sessions import verify_session

    reset = tokens.issue_token(services, ann, "reset_password", lifetime=timedelta(hours=1))
    identity = verify_session(services, sign_in(ann))
    new = "a brand new passphrase 7"
    users.change_own_password(services, identity, PASSWORD, new, new)
    assert tokens.redeem(services, reset, "reset_password") is None


@pytest.mark.parametrize("secret", [None, "", 42, "x" * 129, "not-a-token", "' OR 1=1 --"])
def test_implausible_or_unknown_secrets_are_refused(services, secret):
    assert tokens.redeem(services, secret, "reset_password") is None


def test_unknown_purpose_or_empty_lifetime_is_a_programming_error(services, ann):
    with pytest.raises(ValueError):
        tokens.issue_token(services, ann, "login", lifetime=timedelta(hours=1))
    with pytest.raises(ValueError):
        tokens.issue_token(services, ann, "reset_password", lifetime=timedelta(0))


def test_links_start_with_the_configured_base_url(services):
    services.settings = replace(services.settings, base_url="https://portal.example.com/app")
    url = tokens.link(services, "reset_password", "abc-_123")
    assert url == "https://portal.example.com/app/reset_password?token=abc-_123"
    assert tokens.link(services, "verify_email", "t").startswith("https://portal.example.com/app/")
