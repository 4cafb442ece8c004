"""Forgot password page: one answer for every account, a captcha, the emailed link works."""

from __future__ import annotations

import time

import pytest

from auth.domain import audit
from auth.store import AuditQuery
from auth.texts import T
from auth.web import captcha_field, keys  # [option: captcha=image]
from tests.app_pages.support import (
    errors,
    page,
    shape,
    solve_captcha,  # [option: captcha=image]
    titles,
)

HAS_CAPTCHA = captcha_field.available  # [option: captcha=image]


def ask(login: str, at=None, *, answer: str | None = None):
    if at is None:
        at = page("forgot_password").run()
    next(t for t in at.text_input if t.label == "Username or email").set_value(login)
    solve_captcha(at, "forgot_password", answer)  # [option: captcha=image]
    next(b for b in at.button if b.label == "Send the link").click().run()
    assert not at.exception
    return at


def successes(at) -> list[str]:
    return [s.value for s in at.success]


def test_the_page_asks_for_a_username_or_email(services):
    at = page("forgot_password").run()
    assert titles(at) == ["Forgot your password?"]
    labels = [t.label for t in at.text_input]
    assert labels[0] == "Username or email"
    # [option: captcha=image]
    if HAS_CAPTCHA(services):
        assert labels[1] == T.captcha_label and len(at.get("image")) == 1
    # [end option: captcha=image]


def test_known_and_unknown_accounts_look_the_same_and_only_the_known_gets_mail(
    services, mail, make_user
):
    make_user("ann")
    shapes = []
    for login in ("ann", "nobody", "ann@example.com", "nobody@example.com"):
        at = ask(login)
        assert successes(at) == [T.forgot_password_sent] and not errors(at)
        assert not at.warning  # SMTP is configured
        shapes.append(shape(at))
    assert all(s == shapes[0] for s in shapes)
    mail.wait_for(2)
    time.sleep(0.2)
    assert [m["To"] for m in mail.messages] == ["ann@example.com"] * 2


def test_without_smtp_the_page_says_an_administrator_must_deliver(services, make_user):
    make_user("ann")
    at = ask("ann")
    assert successes(at) == [T.forgot_password_sent]
    assert [w.value for w in at.warning] == [T.no_smtp_note]


@pytest.mark.parametrize("login", ["", "   ", "x" * 300, "ann\x00", "ann\u202e"])
def test_bad_input_gets_a_clear_message_and_nothing_is_sent(services, mail, make_user, login):
    make_user("ann")
    at = ask(login)
    assert errors(at) and not at.success
    # Only the user's creation is in the log: no reset request.
    assert services.store.count_audit(AuditQuery(event=audit.PASSWORD_RESET_REQUEST)) == 0


# [option: captcha=image]
def test_a_wrong_captcha_sends_nothing_and_shows_a_new_picture(services, mail, make_user):
    if not HAS_CAPTCHA(services):
        pytest.skip("this project has no captcha")
    make_user("ann")
    at = page("forgot_password").run()
    first = at.session_state[keys.captcha_challenge("forgot_password")]
    ask("ann", at, answer="WRONG")
    assert errors(at) == [T.captcha_failed] and not at.success
    second = at.session_state[keys.captcha_challenge("forgot_password")]
    assert second.answer != first.answer or second.png != first.png
    # The old answer is used up: it does not work a second time.
    ask("ann", at, answer=first.answer)
    assert errors(at) == [T.captcha_failed]
    ask("ann", at)
    assert successes(at) == [T.forgot_password_sent]
    assert len(mail.wait_for(1)) == 1


def test_the_captcha_answer_never_reaches_the_browser(services):
    if not HAS_CAPTCHA(services):
        pytest.skip("this project has no captcha")
    at = page("forgot_password").run()
    answer = at.session_state[keys.captcha_challenge("forgot_password")].answer
    assert answer not in str(at._tree) and answer not in repr(shape(at))


# [end option: captcha=image]
