"""Email over STARTTLS and implicit TLS to a real loopback server with its own certificate,
with SMTP authentication; an untrusted certificate is refused."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import ssl
import subprocess
from dataclasses import replace
from typing import Any

import pytest

from auth.config import SmtpSettings
from auth.domain import mailer
from tests.conftest import _free_port

aiosmtpd = pytest.importorskip("aiosmtpd", reason="pip install -r requirements-dev.txt")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult  # noqa: E402


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost / 127.0.0.1, made with the openssl tool."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and the openssl command is missing")
        pytest.skip("needs the openssl command (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate):
    """start(mode) -> (port, messages, logins) of a server doing STARTTLS or implicit TLS."""
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    controllers = []

    def start(mode: str):
        messages, logins = [], []

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                content = envelope.content.replace(b"\r\n", b"\n")
                messages.append(email.message_from_bytes(content, policy=email.policy.default))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=auth_data.password == b"smtp-secret")

        options: dict[str, Any] = {"authenticator": authenticator, "auth_require_tls": True}
        if mode == "starttls":
            options |= {"tls_context": server_context, "require_starttls": True}
        else:
            # aiosmtpd cannot tell that the whole connection is TLS: it would hide AUTH.
            options |= {"ssl_context": server_context, "auth_require_tls": False}
        controller = Controller(Handler(), hostname="127.0.0.1", port=_free_port(), **options)
        controller.start()
        controllers.append(controller)
        return controller.port, messages, logins

    yield start
    for controller in controllers:
        controller.stop()


def configure(services, port: int, security: str, credential: str = "smtp-secret") -> None:
    services.settings = replace(
        services.settings,
        smtp=SmtpSettings(
            "127.0.0.1", port, "app@example.com", security, "mailer", credential, timeout=5
        ),
    )


@pytest.fixture
def trust(monkeypatch, certificate):
    """The client trusts the test certificate (as it trusts a public CA's in production)."""
    monkeypatch.setattr(
        mailer, "tls_context", lambda: ssl.create_default_context(cafile=str(certificate[0]))
    )


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_mail_goes_over_tls_with_a_login(services, tls_server, trust, security):
    port, messages, logins = tls_server(security)
    configure(services, port, security)
    assert mailer.send_mail(services, "ann@example.com", "Over TLS", "secret link")
    assert logins == [("mailer", "smtp-secret")]
    assert messages[0]["Subject"] == "Over TLS"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_an_untrusted_certificate_is_refused(services, tls_server, security, caplog):
    port, messages, logins = tls_server(security)
    configure(services, port, security)
    assert not mailer.send_mail(services, "ann@example.com", "Hi", "body")
    assert messages == [] and logins == []  # the password never left
    assert "EMAIL NOT SENT" in caplog.text


def test_a_wrong_smtp_password_fails_cleanly_and_is_not_logged(services, tls_server, trust, caplog):
    port, messages, _ = tls_server("starttls")
    configure(services, port, "starttls", credential="wrong-secret")
    assert not mailer.send_mail(services, "ann@example.com", "Hi", "body")
    assert messages == [] and "wrong-secret" not in caplog.text
