"""Sign-in of an account whose email is not confirmed: the common failure, plus a hint
only for whoever typed the right password; still exactly one hash."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auth.config import SmtpSettings
from auth.domain import passwords
from auth.domain.login import authenticate, begin_sign_in
from auth.store import UserChanges
from auth.texts import T
from tests.conftest import PASSWORD

ORIGIN = "http://localhost:8501"


@pytest.fixture
def unverified(services, make_user):
    services.settings = replace(
        services.settings, smtp=SmtpSettings("127.0.0.1", 2525, "app@example.com", "none")
    )
    return services.store.update_user(make_user("una").id, UserChanges(email_verified=False))


def test_right_password_gets_the_failure_and_the_hint(services, unverified):
    before = passwords.hash_calls
    result = begin_sign_in(services, "una", PASSWORD, origin=ORIGIN)
    assert passwords.hash_calls - before == 1
    assert result.ticket is None
    assert result.message == f"{T.sign_in_failed} {T.sign_in_unverified_hint}"
    assert result.unverified.id == unverified.id
    assert authenticate(services, "una", PASSWORD) is None
    assert services.store.get_user(unverified.id).failed_logins == 0


def test_wrong_password_gets_only_the_common_failure(services, unverified):
    result = begin_sign_in(services, "una", "not the password at all", origin=ORIGIN)
    assert (result.message, result.unverified) == (T.sign_in_failed, None)


def test_without_smtp_or_when_switched_off_verification_is_not_required(services, unverified):
    services.settings = replace(services.settings, require_email_verification=False)
    assert begin_sign_in(services, "una", PASSWORD, origin=ORIGIN).ticket
    services.settings = replace(services.settings, require_email_verification=True, smtp=None)
    assert begin_sign_in(services, "una", PASSWORD, origin=ORIGIN).ticket
