"""The sign-in captcha trigger: failures per login text, the same for real and unknown accounts."""

from auth.domain import throttle


def test_no_failure_means_no_captcha(services):
    assert throttle.failures_before(services, "ann") == 0
    assert throttle.failures_before(services, "ann") == 0


def test_failures_are_counted_per_login_text_ignoring_case(services, make_user):
    make_user("ann")
    for login in ("ann", "nobody"):
        throttle.note_failure(services, login)
        assert throttle.failures_before(services, login.upper()) == 1
        throttle.note_failure(services, f" {login} ")
        assert throttle.failures_before(services, login) == 2
        assert throttle.failures_before(services, login) == 2
    assert throttle.failures_before(services, "someone else") == 0


def test_failures_are_forgotten_after_the_lockout_period(services, clock):
    throttle.note_failure(services, "ann")
    clock.advance(seconds=services.settings.lockout.total_seconds() * 2)
    assert throttle.failures_before(services, "ann") == 0
