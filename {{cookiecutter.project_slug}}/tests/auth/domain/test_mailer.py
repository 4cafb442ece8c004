"""Email: through a real SMTP server on loopback, or into the server log when none is set up."""

from __future__ import annotations

import logging
from dataclasses import replace

from auth.config import SmtpSettings
from auth.domain import mailer
from tests.conftest import _free_port


def test_a_configured_server_receives_the_message(services, mail):
    assert mailer.send_mail(services, "ann@example.com", "Hello", "Line one\nhttps://x/y?token=abc")
    message = mail.last()
    assert message["To"] == "ann@example.com"
    assert message["From"] == "app@example.com"
    assert message["Subject"] == "Hello"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content().strip() == "Line one\nhttps://x/y?token=abc"


def test_without_smtp_the_message_goes_to_the_log_with_a_warning(services, caplog):
    assert services.settings.smtp is None
    with caplog.at_level(logging.WARNING, logger="auth.mail"):
        sent = mailer.send_mail(services, "ann@example.com", "Reset", "Open https://x/r?token=t0k")
    assert sent is False
    text = caplog.text
    assert "EMAIL NOT SENT" in text and "administrator must deliver it" in text
    assert "ann@example.com" in text and "https://x/r?token=t0k" in text


def test_an_unreachable_server_returns_false_and_logs_the_message(services, caplog):
    services.settings = replace(
        services.settings,
        smtp=SmtpSettings("127.0.0.1", _free_port(), "app@example.com", "none", timeout=2),
    )
    with caplog.at_level(logging.WARNING, logger="auth.mail"):
        assert mailer.send_mail(services, "ann@example.com", "Hi", "the body") is False
    assert "SMTP error" in caplog.text and "the body" in caplog.text


def test_a_recipient_or_subject_with_a_line_break_is_refused(services, mail):
    assert not mailer.send_mail(services, "ann@example.com\nBcc: eve@example.com", "Hi", "x")
    assert not mailer.send_mail(services, "ann@example.com", "Hi\nBcc: eve@example.com", "x")
    assert not mailer.send_mail(services, "not an address", "Hi", "x")
    assert mail.messages == []


def test_background_sending_delivers_too(services, mail):
    mailer.send_mail_later(services, "ann@example.com", "Later", "body").join(10)
    assert mail.last()["Subject"] == "Later"
