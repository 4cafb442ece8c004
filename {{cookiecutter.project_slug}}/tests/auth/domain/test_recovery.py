"""Password reset, username reminder and email verification, following the emailed links."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import pytest

from auth.domain import audit, recovery, users
from auth.domain.login import authenticate
from auth.domain.sessions import verify_session
from auth.domain.users import ValidationError
from auth.store import AuditQuery, UserChanges
from tests.conftest import PASSWORD, token_in

NEW = "copper meadow violin 88"


@pytest.fixture
def ann(make_user):
    return make_user("ann", first_name="Ann")


def events(services, event: str) -> list:
    return services.store.list_audit(AuditQuery(event=event))


def request_reset(services, mail, login="ann") -> str:
    recovery.forgot_password(services, login, ip="10.0.0.1")
    return token_in(mail.last(), "reset_password")


# --- start_password_reset (also used by the admin page) ---------------------------


def test_without_smtp_the_link_is_handed_back_once_and_logged(services, ann, caplog):
    with caplog.at_level(logging.WARNING, logger="auth.mail"):
        delivery = recovery.start_password_reset(services, ann, actor="root")
    assert delivery.emailed is False
    assert delivery.link.startswith("http://localhost:8501/reset_password?token=")
    assert delivery.link in caplog.text
    token = delivery.link.split("token=")[1]
    recovery.reset_password(services, token, NEW)
    assert authenticate(services, "ann", NEW)


def test_with_smtp_the_link_is_emailed_and_not_returned(services, mail, ann):
    delivery = recovery.start_password_reset(services, ann, actor="root")
    assert delivery == recovery.ResetDelivery(emailed=True, link=None)
    message = mail.last()
    assert message["To"] == "ann@example.com"
    assert "reset your password" in message["Subject"]
    assert events(services, audit.PASSWORD_RESET_REQUEST)[0].actor == "root"


# --- forgot password ------------------------------------------------------------------


def test_forgot_password_by_username_or_email_mails_a_link_that_resets(
    services, mail, ann, sign_in
):
    token_before = sign_in(ann)
    for login in ("ann", "ANN@example.com"):
        mail.clear()
        token = request_reset(services, mail, login)
    user = recovery.reset_password(services, token, NEW, NEW)
    assert user.id == ann.id
    assert authenticate(services, "ann", NEW) and not authenticate(services, "ann", PASSWORD)
    # Every session ended, and nobody was signed in by the reset.
    assert verify_session(services, token_before) is None
    assert services.store.list_sessions(ann.id, now=services.now()) == []
    notice = mail.last()
    assert "password was changed" in notice["Subject"] and "token" not in notice.get_content()
    assert events(services, audit.PASSWORD_RESET)[0].outcome == "success"


def test_unknown_accounts_get_the_same_answer_and_no_email(services, mail, ann):
    assert recovery.forgot_password(services, "nobody", ip="10.0.0.1") is None
    assert recovery.forgot_password(services, "nobody@example.com", ip="10.0.0.1") is None
    recovery.forgot_password(services, "ann", ip="10.0.0.1")
    mail.wait_for(1)
    assert [m["To"] for m in mail.messages] == ["ann@example.com"]
    outcomes = [e.outcome for e in events(services, audit.PASSWORD_RESET_REQUEST)]
    assert outcomes == ["success", "failure", "failure"]


def test_disabled_accounts_get_no_link(services, mail, ann, make_user):
    users.set_disabled(services, ann, True)
    recovery.forgot_password(services, "ann")
    recovery.forgot_password(services, make_user("bob").username)
    assert [m["To"] for m in mail.wait_for(1)] == ["bob@example.com"]


def test_a_locked_account_can_reset_and_is_unlocked(services, mail, clock, ann):
    services.store.record_login_failure(
        ann.id, now=clock(), max_attempts=1, lockout_until=clock.now.replace(year=2031)
    )
    assert not authenticate(services, "ann", PASSWORD)
    recovery.reset_password(services, request_reset(services, mail), NEW)
    assert authenticate(services, "ann", NEW)


def test_reset_links_are_rate_limited_per_account(services, mail, ann):
    limit = services.settings.emails_per_account_per_hour
    for n in range(limit + 2):
        recovery.forgot_password(services, "ann", ip=f"10.0.0.{n}")
    mail.wait_for(limit)
    time.sleep(0.3)
    assert len(mail.messages) == limit


def test_reset_links_are_rate_limited_per_address(services, mail, make_user, clock):
    limit = services.settings.emails_per_address_per_hour
    for n in range(limit + 1):
        make_user(f"user{n}")
    for n in range(limit + 1):
        recovery.forgot_password(services, f"user{n}", ip="10.9.9.9")
    mail.wait_for(limit)
    time.sleep(0.3)
    assert len(mail.messages) == limit
    clock.advance(hours=1)
    recovery.forgot_password(services, f"user{limit}", ip="10.9.9.9")
    mail.wait_for(limit + 1)


@pytest.mark.parametrize("login", ["", "   ", "a" * 255, "ann\x00", "ann\u202e"])
def test_bad_input_gets_a_clear_message_and_nothing_happens(services, mail, ann, login):
    with pytest.raises(ValidationError) as exc:
        recovery.forgot_password(services, login)
    assert exc.value.problems[0].startswith(("Enter your", "That is not a valid"))
    assert events(services, audit.PASSWORD_RESET_REQUEST) == []


@pytest.mark.parametrize("login", ["<script>alert(1)</script>", "' OR '1'='1", "アン"])
def test_hostile_looking_logins_are_simply_unknown(services, mail, ann, login):
    assert recovery.forgot_password(services, login) is None
    assert mail.messages == []


# --- reset_password -------------------------------------------------------------------


def test_a_reset_link_works_once(services, mail, ann):
    token = request_reset(services, mail)
    recovery.reset_password(services, token, NEW)
    with pytest.raises(ValidationError, match="not valid"):
        recovery.reset_password(services, token, "another fine passphrase 9")
    assert authenticate(services, "ann", NEW)


def test_a_reset_link_expires(services, mail, clock, ann):
    token = request_reset(services, mail)
    clock.advance(minutes=61)
    with pytest.raises(ValidationError, match="not valid"):
        recovery.reset_password(services, token, NEW)
    assert authenticate(services, "ann", PASSWORD)


def test_a_reset_link_dies_when_the_password_changes(services, mail, ann):
    token = request_reset(services, mail)
    users.set_password(services, ann, "changed by the admin 42")
    with pytest.raises(ValidationError, match="not valid"):
        recovery.reset_password(services, token, NEW)


def test_a_reset_link_dies_when_the_email_changes(services, mail, ann):
    token = request_reset(services, mail)
    services.store.update_user(ann.id, UserChanges(email="ann.new@example.com"))
    with pytest.raises(ValidationError, match="not valid"):
        recovery.reset_password(services, token, NEW)


def test_a_refused_new_password_leaves_the_link_usable(services, mail, ann):
    token = request_reset(services, mail)
    with pytest.raises(ValidationError, match="at least 12"):
        recovery.reset_password(services, token, "short")
    with pytest.raises(ValidationError, match="do not match"):
        recovery.reset_password(services, token, NEW, NEW + "x")
    recovery.reset_password(services, token, NEW, NEW)
    assert authenticate(services, "ann", NEW)


@pytest.mark.parametrize("token", ["", "x" * 500, "<script>", "' OR 1=1 --", "\x00"])
def test_junk_tokens_are_refused(services, ann, token):
    with pytest.raises(ValidationError, match="not valid"):
        recovery.reset_password(services, token, NEW)
    assert authenticate(services, "ann", PASSWORD)


# --- forgot username ------------------------------------------------------------------


def test_forgot_username_mails_the_username(services, mail, ann):
    recovery.forgot_username(services, "ANN@example.com", ip="10.0.0.1")
    message = mail.last()
    assert message["To"] == "ann@example.com" and "    ann\n" in message.get_content()


def test_forgot_username_for_an_unknown_email_or_a_username_sends_nothing(services, mail, ann):
    recovery.forgot_username(services, "nobody@example.com")
    with pytest.raises(ValidationError, match="valid email"):
        recovery.forgot_username(services, "ann")
    time.sleep(0.2)
    assert mail.messages == []


# --- email verification ---------------------------------------------------------------


def test_a_verification_link_verifies_once(services, mail, make_user):
    user = make_user("vic")
    user = services.store.update_user(user.id, UserChanges(email_verified=False))
    assert recovery.send_verification(services, user).emailed
    token = token_in(mail.last(), "verify_email")
    assert recovery.verify_email(services, token).email_verified
    assert services.store.get_user(user.id).email_verified
    assert recovery.verify_email(services, token) is None


def test_without_smtp_the_verification_link_is_returned(services, make_user):
    delivery = recovery.send_verification(services, make_user("vic"))
    assert not delivery.emailed and "/verify_email?token=" in delivery.link


def test_a_verification_link_for_an_old_address_is_refused(services, mail, make_user):
    user = services.store.update_user(make_user("vic").id, UserChanges(email_verified=False))
    recovery.send_verification(services, user)
    token = token_in(mail.last(), "verify_email")
    services.store.update_user(user.id, UserChanges(email="vic2@example.com"))
    assert recovery.verify_email(services, token) is None
    assert not services.store.get_user(user.id).email_verified


def test_a_verification_link_expires(services, mail, clock, make_user):
    user = services.store.update_user(make_user("vic").id, UserChanges(email_verified=False))
    recovery.send_verification(services, user)
    clock.advance(hours=48, seconds=1)
    assert recovery.verify_email(services, token_in(mail.last(), "verify_email")) is None


def test_verification_emails_are_rate_limited(services, mail, make_user):
    services.settings = replace(services.settings, emails_per_account_per_hour=2)
    user = make_user("vic")
    results = [recovery.send_verification(services, user).emailed for _ in range(3)]
    assert results == [True, True, False]
    assert len(mail.messages) == 2
