"""The image captcha: random codes, a PNG picture, checked once against the server's copy."""

from __future__ import annotations

from datetime import timedelta

from auth.domain import captcha


def test_a_challenge_is_a_random_code_and_a_png(clock):
    one, two = captcha.new_challenge(clock()), captcha.new_challenge(clock())
    assert len(one.answer) == captcha.LENGTH and set(one.answer) <= set(captcha.ALPHABET)
    assert one.answer != two.answer or one.png != two.png
    assert one.png.startswith(b"\x89PNG") and one.answer.encode() not in one.png


def test_the_answer_is_checked_ignoring_case_and_spaces(clock):
    challenge = captcha.new_challenge(clock())
    assert captcha.check(challenge, challenge.answer, clock())
    assert captcha.check(challenge, " ".join(challenge.answer.lower()), clock())
    assert not captcha.check(challenge, challenge.answer[:-1], clock())
    assert not captcha.check(challenge, "", clock())
    assert not captcha.check(challenge, None, clock())
    assert not captcha.check(challenge, challenge.answer + " " * 40, clock())
    assert not captcha.check(None, challenge.answer, clock())


def test_a_challenge_expires(clock):
    challenge = captcha.new_challenge(clock())
    assert not captcha.check(challenge, challenge.answer, clock() + captcha.LIFETIME)
    assert captcha.check(challenge, challenge.answer, clock() + captcha.LIFETIME - timedelta(1e-3))
