"""Outgoing email through the standard library's SMTP client, configured by `[smtp]` in secrets.

Without `[smtp]` the app still works: the message (links included) is written to
the server log with a warning, so that an administrator can deliver it by hand,
and `send_mail` returns False so the page can say so.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from auth.domain import validators

if TYPE_CHECKING:
    from auth.domain.services import Services

log = logging.getLogger("auth.mail")

MAX_SUBJECT_CHARS = 200


def tls_context() -> ssl.SSLContext:
    """Certificate and host name checked against the system's trusted authorities."""
    return ssl.create_default_context()


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def _log_undelivered(to: str, subject: str, body: str, why: str) -> None:
    log.warning(
        "EMAIL NOT SENT (%s). An administrator must deliver it by hand.\n"
        "To: %s\nSubject: %s\n\n%s\n--- end of email ---",
        why,
        to,
        subject,
        body,
    )


def send_mail(services: Services, to: str, subject: str, body: str) -> bool:
    """Send a plain-text email; True when the SMTP server accepted it.

    False when SMTP is not configured or sending failed: the message is then in
    the server log. Never raises for a bad address or an unreachable server.
    """
    if validators.email_problems(to) or len(subject) > MAX_SUBJECT_CHARS or "\n" in subject:
        log.error("email not sent: bad recipient or subject")
        return False
    smtp = services.settings.smtp
    if smtp is None:
        _log_undelivered(to, subject, body, "SMTP is not configured: add [smtp] to secrets")
        return False
    try:
        message = _message(smtp.sender, to, subject, body)
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=tls_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=tls_context())
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        # The exception text names the server's complaint, never our password.
        _log_undelivered(to, subject, body, f"SMTP error: {type(exc).__name__}: {exc}")
        return False
    log.info("email sent to=%s subject=%s", to, subject)
    return True


def send_mail_later(services: Services, to: str, subject: str, body: str) -> threading.Thread:
    """Send from a background thread, so that how long SMTP takes cannot be timed by the
    person at the keyboard (e.g. to tell whether an account exists)."""
    thread = threading.Thread(
        target=send_mail, args=(services, to, subject, body), name="send-mail", daemon=True
    )
    thread.start()
    return thread
