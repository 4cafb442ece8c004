"""Forgot username page: the username goes to the address, one answer for every address."""

from __future__ import annotations

import time

import pytest

from auth.texts import T
from tests.app_pages.support import (
    errors,
    page,
    shape,
    solve_captcha,  # [option: captcha=image]
    titles,
)


def ask(email: str):
    at = page("forgot_username").run()
    next(t for t in at.text_input if t.label == "Email address").set_value(email)
    solve_captcha(at, "forgot_username")  # [option: captcha=image]
    next(b for b in at.button if b.label == "Send my username").click().run()
    assert not at.exception
    return at


def test_the_username_is_mailed_and_unknown_addresses_look_the_same(services, mail, make_user):
    make_user("ann")
    known, unknown = ask("Ann@Example.com"), ask("nobody@example.com")
    assert titles(known) == ["Forgot your username?"]
    for at in (known, unknown):
        assert [s.value for s in at.success] == [T.forgot_username_sent]
    assert shape(known) == shape(unknown)
    message = mail.last()
    time.sleep(0.2)
    assert len(mail.messages) == 1 and message["To"] == "ann@example.com"
    assert "ann" in message.get_content()


@pytest.mark.parametrize(
    "email",
    ["", "ann", "x" * 300 + "@example.com", "<script>alert(1)</script>", "a@b.co\r\nBcc: e@f.gh"],
)
def test_bad_input_gets_a_clear_message(services, mail, make_user, email):
    make_user("ann")
    at = ask(email)
    assert errors(at) and not at.success
    time.sleep(0.1)
    assert mail.messages == []
