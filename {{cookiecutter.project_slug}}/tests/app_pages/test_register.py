"""Registration page: each mode, the captcha, generic refusals, no mass assignment."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auth.domain.login import authenticate
from auth.texts import T
from auth.web import captcha_field  # [option: captcha=image]
from tests.app_pages.support import (
    errors,
    page,
    shape,
    solve_captcha,  # [option: captcha=image]
    titles,
)
from tests.conftest import token_in

PASSWORD = "plum orbit kettle 42"
LABELS = {
    "username": "Username",
    "email": "Email address",
    "first_name": "First name",
    "last_name": "Last name",
    "password": "Password",
    "repeat": "Repeat the password",
}


def configure(services, **changes):
    services.settings = replace(services.settings, **changes)


def fill(at, **override):
    values = {
        "username": "newbie",
        "email": "newbie@example.com",
        "first_name": "Nina",
        "last_name": "Newton",
        "password": PASSWORD,
        "repeat": PASSWORD,
        **override,
    }
    fields = {t.label: t for t in at.text_input}
    for name, value in values.items():
        fields[LABELS[name]].set_value(value)
    return at


def register(at=None, *, answer: str | None = None, **override):
    if at is None:
        at = page("register").run()
    fill(at, **override)
    solve_captcha(at, "register", answer)  # [option: captcha=image]
    next(b for b in at.button if b.label == "Create account").click().run()
    assert not at.exception
    return at


def test_the_form(services):
    at = page("register").run()
    assert titles(at) == ["Create an account"]
    labels = [t.label for t in at.text_input]
    assert labels[:6] == list(LABELS.values())
    by_label = {t.label: t for t in at.text_input}
    assert by_label["Password"].proto.type == by_label["Password"].proto.PASSWORD
    assert by_label["Password"].proto.autocomplete == "new-password"
    assert "invitation" in at.caption[0].value
    # [option: captcha=image]
    assert (T.captcha_label in labels) == captcha_field.available(services)
    # [end option: captcha=image]


def test_an_invited_email_registers_and_can_sign_in(services):
    configure(services, default_roles=("viewer",))
    services.store.add_invitations(["newbie@example.com"], now=services.now())
    at = register()
    assert at.success[0].value == "Your account is ready. You can sign in now."
    user = authenticate(services, "newbie", PASSWORD)
    assert user.roles == ("viewer",) and (user.first_name, user.last_name) == ("Nina", "Newton")


def test_without_an_invitation_or_with_a_taken_name_the_answer_is_generic(services, make_user):
    make_user("taken")
    services.store.add_invitations(["taken2@example.com"], now=services.now())
    shapes = []
    for override in ({}, {"username": "taken", "email": "taken2@example.com"}):
        at = register(**override)
        assert errors(at) == [T.register_not_possible]
        shapes.append(shape(at))
    assert shapes[0] == shapes[1]
    assert services.store.count_users() == 1


def test_open_registration_with_email_verification(services, mail):
    configure(services, registration="open")
    at = register()
    assert "We sent a link to newbie@example.com" in at.success[0].value
    assert authenticate(services, "newbie", PASSWORD) is None
    verify = page("verify_email")
    verify.query_params["token"] = token_in(mail.last(), "verify_email")
    verify.run()
    assert verify.success
    assert authenticate(services, "newbie", PASSWORD)


def test_registration_closed_shows_no_form(services):
    configure(services, registration="disabled")
    at = page("register").run()
    assert [i.value for i in at.info] == [T.register_closed] and not at.text_input


def test_roles_and_flags_cannot_be_injected(services):
    configure(services, registration="open", default_roles=("viewer",))
    at = page("register")
    for key, value in {"roles": "admin", "disabled": "false", "email_verified": "true"}.items():
        at.query_params[key] = value
    at.run()
    for key, forged in {
        "roles": ("admin",),
        "is_admin": True,
        "must_change_password": False,
    }.items():
        at.session_state[key] = forged
    register(at)
    user = services.store.find_user("newbie")
    assert user.roles == ("viewer",) and not user.is_admin
    assert user.auth_source == "local"


def test_the_strength_hint_follows_the_typing(services):
    at = page("register").run()
    fill(at, password="newbie-newbie", repeat="").run()
    assert any("too close" in c.value for c in at.caption)
    fill(at, password=PASSWORD, repeat="").run()
    assert any(c.value.startswith("Strength: ") for c in at.caption)


BAD = [
    ("username", ""),
    ("username", "x" * 40),
    ("username", "<script>alert(1)</script>"),
    ("username", "admin'--"),
    ("username", "nëwbie"),
    ("email", ""),
    ("email", "newbie"),
    ("email", "x" * 300),
    ("email", "newbie@example.com\x00"),
    ("first_name", ""),
    ("first_name", "x" * 200),
    ("first_name", "<img src=x onerror=alert(1)>"),
    ("last_name", "Robert'); DROP TABLE users;--"),
    ("last_name", "bell\x07"),
    ("password", ""),
    ("password", "short"),
    ("password", "x" * 2000),
]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_bad_input_gets_a_clear_message_and_stores_nothing(services, field, value):
    configure(services, registration="open")
    override = {field: value}
    if field == "password":
        override["repeat"] = value
    at = register(**override)
    assert errors(at) and not at.success
    assert services.store.count_users() == 0


# [option: captcha=image]
def test_a_wrong_captcha_stops_the_registration(services):
    if not captcha_field.available(services):
        pytest.skip("this project has no captcha")
    configure(services, registration="open")
    at = register(answer="nope")
    assert errors(at) == [T.captcha_failed]
    assert services.store.count_users() == 0
    register(at)
    assert at.success and services.store.count_users() == 1


# [end option: captcha=image]
