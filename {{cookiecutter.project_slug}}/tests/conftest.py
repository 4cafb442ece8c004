"""Shared fixtures: a real SQLite store in a temporary folder, a controllable clock,
and helpers to create users and sign them in the way the app does."""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from auth.config import Settings, SmtpSettings
from auth.domain import users
from auth.domain.services import open_services
from auth.domain.sessions import issue_ticket, start_session
from auth.store import User
from auth.web.services import use_services

PROJECT_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "plum orbit kettle 42"
# The app's tests run on a file store: SQLite, or the YAML file in a YAML project
# (TEST_STORE_BACKEND overrides it).
FILE_BACKEND = "sqlite"  # [option: storage=sqlite,postgres]
FILE_BACKEND = "yaml"  # [option: storage=yaml]
APP_TEST_BACKEND = os.environ.get("TEST_STORE_BACKEND") or FILE_BACKEND


def app_backend() -> str:
    """The backend the app-level tests (and manage.py's) run on."""
    return APP_TEST_BACKEND


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        cookie_secret=secrets.token_urlsafe(48),
        pepper=secrets.token_urlsafe(48),
        app_name="Test Portal",
        roles=("admin", "editor", "viewer"),
        bcrypt_rounds=4,  # the minimum: tests check behaviour, not cost
        storage_backend=APP_TEST_BACKEND,
        sqlite_path=tmp_path / "users.db",  # [option: storage=sqlite,postgres]
        yaml_path=tmp_path / "config.yaml",  # [option: storage=yaml]
    )


@pytest.fixture
def services(settings, clock):
    """The process-wide services, pointed at a fresh store for this test."""
    services = open_services(settings, clock)
    use_services(services)
    yield services
    use_services(None)


@pytest.fixture
def make_user(services):
    def make(
        username: str = "alice",
        *,
        email: str | None = None,
        password: str = PASSWORD,
        roles: tuple[str, ...] = ("viewer",),
        **fields,
    ) -> User:
        user, _ = users.create_user(
            services,
            username=username,
            email=email or f"{username}@example.com",
            roles=roles,
            password=password,
            **fields,
        )
        return user

    return make


@pytest.fixture
def sign_in(services):
    """Sign a user in as the sign-in page and the route do; returns the cookie's token."""

    def sign(user: User, origin: str = "http://localhost:8501") -> str:
        ticket = issue_ticket(services, user, origin=origin)
        assert ticket is not None
        token, _, _ = start_session(services, ticket)
        return token

    return sign


@pytest.fixture
def admin(make_user) -> User:
    return make_user("root", roles=("admin",))


@pytest.fixture
def store_checks(monkeypatch) -> list[str]:
    """The tokens the guard checks against the store from now on, one entry per check.

    Wraps the real `verify_session` where auth/web/guard.py calls it; the check itself runs.
    """
    from auth.domain.sessions import verify_session

    checked: list[str] = []

    def counted(services, token):
        checked.append(token)
        return verify_session(services, token)

    monkeypatch.setattr("auth.web.guard.verify_session", counted)
    return checked


# --- email: a real SMTP server on loopback (aiosmtpd) ---------------------------------


@dataclass
class Mailbox:
    """What the loopback SMTP server received, oldest first."""

    port: int
    messages: list

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list:
        """The first `count` messages, waiting for background senders."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"expected {count} emails, got {len(self.messages)}"
        return self.messages[:count]

    def last(self, to: str | None = None):
        """The newest message (to `to`, if given), after waiting for at least one."""
        self.wait_for(1)
        found = [m for m in self.messages if to is None or m["To"] == to]
        assert found, f"no email to {to}"
        return found[-1]

    def clear(self) -> None:
        self.messages.clear()


def link_in(message, page: str) -> str:
    """The link to `page` in an email's body."""
    body = message.get_content()
    match = re.search(rf"https?://\S+/{page}\?token=\S+", body)
    assert match, f"no {page} link in:\n{body}"
    return match.group(0)


def token_in(message, page: str) -> str:
    return parse_qs(urlsplit(link_in(message, page)).query)["token"][0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 that keeps every message it receives."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("aiosmtpd is missing: pip install -r requirements-dev.txt")

    messages: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            content = envelope.content.replace(b"\r\n", b"\n")
            messages.append(email.message_from_bytes(content, policy=email.policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield Mailbox(port=controller.port, messages=messages)
    controller.stop()


@pytest.fixture
def mail(services, smtp_server) -> Mailbox:
    """The services send email to the loopback server (`[smtp]` configured)."""
    services.settings = replace(
        services.settings,
        smtp=SmtpSettings(
            host="127.0.0.1", port=smtp_server.port, sender="app@example.com", security="none"
        ),
    )
    return smtp_server
