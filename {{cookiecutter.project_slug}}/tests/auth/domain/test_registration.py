"""Registration: invitations or open (domain allowlist), default roles, no mass assignment."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest

from auth.domain import audit, registration
from auth.domain.login import authenticate
from auth.domain.users import ValidationError
from auth.store import AuditQuery
from auth.texts import T
from tests.conftest import token_in

PASSWORD = "plum orbit kettle 42"


def form(**override) -> dict:
    fields = {
        "username": "newbie",
        "email": "newbie@example.com",
        "first_name": "Nina",
        "last_name": "Newton",
        "password": PASSWORD,
        "repeat": PASSWORD,
    }
    fields.update(override)
    return fields


def configure(services, **changes):
    services.settings = replace(services.settings, **changes)


def invite(services, *emails, **kwargs):
    services.store.add_invitations(emails, now=services.now(), **kwargs)


def test_an_invited_email_registers_once_with_the_default_roles(services):
    configure(services, default_roles=("viewer",))
    invite(services, "NEWBIE@example.com")
    result = registration.register(services, **form())
    assert result.user.roles == ("viewer",)
    assert result.user.email_verified and result.can_sign_in  # no SMTP: no verification
    assert authenticate(services, "newbie", PASSWORD)
    assert services.store.get_invitation("newbie@example.com").used_by == "newbie"
    with pytest.raises(ValidationError) as exc:
        registration.register(services, **form(username="other"))
    assert exc.value.problems == [T.register_not_possible]


def test_without_an_invitation_nothing_is_created(services):
    for email in ("newbie@example.com", "someone@example.com"):
        with pytest.raises(ValidationError) as exc:
            registration.register(services, **form(email=email))
        assert exc.value.problems == [T.register_not_possible]
    assert services.store.count_users() == 0


def test_an_expired_invitation_is_refused(services, clock):
    invite(services, "newbie@example.com", expires_at=clock.now.replace(hour=13))
    clock.advance(hours=2)
    with pytest.raises(ValidationError):
        registration.register(services, **form())
    assert services.store.count_users() == 0


def test_taken_username_or_email_gets_the_same_generic_message(services, make_user):
    configure(services, registration="open")
    make_user("alice")
    for fields in (form(username="ALICE"), form(email="Alice@Example.com")):
        with pytest.raises(ValidationError) as exc:
            registration.register(services, **fields)
        assert exc.value.problems == [T.register_not_possible]
    assert services.store.count_users() == 1
    details = [e.detail for e in services.store.list_audit(AuditQuery(event=audit.REGISTRATION))]
    assert sorted(details) == ["email taken", "username taken"]


def test_open_registration_with_a_domain_allowlist(services):
    configure(services, registration="open", registration_domains=("example.com",))
    with pytest.raises(ValidationError) as exc:
        registration.register(services, **form(email="newbie@evil.test"))
    assert exc.value.problems == ["Use an email address at example.com."]
    assert registration.register(services, **form(email="newbie@EXAMPLE.com")).user


def test_registration_can_be_closed(services):
    configure(services, registration="disabled")
    invite(services, "newbie@example.com")
    with pytest.raises(ValidationError) as exc:
        registration.register(services, **form())
    assert exc.value.problems == [T.register_closed]
    assert services.store.count_users() == 0


def test_no_role_or_flag_can_be_set():
    # Mass assignment: the function has no parameter through which they could arrive.
    assert set(inspect.signature(registration.register).parameters) == {
        "services",
        "username",
        "email",
        "first_name",
        "last_name",
        "password",
        "repeat",
        "ip",
    }


def test_with_smtp_the_account_waits_for_its_email_to_be_confirmed(services, mail):
    from auth.domain import recovery

    configure(services, registration="open")
    result = registration.register(services, **form())
    assert not result.can_sign_in and result.verification.emailed
    assert result.verification.link is None  # never shown to whoever filled in the form
    assert authenticate(services, "newbie", PASSWORD) is None
    recovery.verify_email(services, token_in(mail.last("newbie@example.com"), "verify_email"))
    assert authenticate(services, "newbie", PASSWORD)


def test_verification_can_be_switched_off(services, mail):
    configure(services, registration="open", require_email_verification=False)
    assert registration.register(services, **form()).can_sign_in
    assert mail.messages == []


BAD_FIELDS = [
    ("username", "", "Enter a username."),
    ("username", "x" * 33, "A username has 3 to 32 characters"),
    ("username", "bob'; DROP TABLE users; --", "A username has"),
    ("username", "<script>", "A username has"),
    ("username", "bob\x00", "A username has"),
    ("username", "Zoë", "A username has"),
    ("email", "", "Enter an email address."),
    ("email", "x" * 250 + "@example.com", "Enter a valid email"),
    ("email", "a@b.co\nBcc: x@y.z", "Enter a valid email"),
    ("email", "' OR 1=1 --@x.io", "Enter a valid email"),
    ("first_name", "", "Enter your first name."),
    ("first_name", "x" * 101, "First name can have at most 100"),
    ("first_name", "<b>Nina</b>", "First name can only have letters"),
    ("first_name", "Nina\x07", "First name contains characters"),
    ("last_name", "", "Enter your last name."),
    ("last_name", "Robert'); DROP TABLE users;--", "Last name can only have letters"),
    ("password", "", "The two passwords do not match."),
    ("password", "short", "The two passwords do not match."),
    ("repeat", PASSWORD + "x", "The two passwords do not match."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS)
def test_bad_input_gets_a_clear_message_and_stores_nothing(services, field, value, message):
    configure(services, registration="open")
    with pytest.raises(ValidationError) as exc:
        registration.register(services, **form(**{field: value}))
    assert any(p.startswith(message) for p in exc.value.problems), exc.value.problems
    assert services.store.count_users() == 0
    assert services.store.count_audit() == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 12"),
        ("x" * 1025, "Use at most 1024"),
        ("password1234", "This password is too common"),
        ("newbie-forever", "This password is too close"),
        ("nina newton 1", "This password is too close"),
    ],
)
def test_the_password_policy_applies(services, password, message):
    configure(services, registration="open")
    with pytest.raises(ValidationError) as exc:
        registration.register(services, **form(password=password, repeat=password))
    assert exc.value.problems[0].startswith(message)
    assert services.store.count_users() == 0


def test_unicode_names_are_welcome(services):
    configure(services, registration="open")
    user = registration.register(
        services, **form(first_name="Zoë", last_name="O’Brien-Łukasz")
    ).user
    assert (user.first_name, user.last_name) == ("Zoë", "O’Brien-Łukasz")
