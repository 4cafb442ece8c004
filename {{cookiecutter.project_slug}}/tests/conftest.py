"""Shared fixtures: a real SQLite store in a temporary folder, a controllable clock,
and helpers to create users and sign them in the way the app does."""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auth import users
from auth.config import Settings
from auth.services import Services, use_services
from auth.sessions import issue_ticket, start_session
from auth.store import User, open_store

PROJECT_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "plum orbit kettle 42"


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
        sqlite_path=tmp_path / "users.db",
    )


@pytest.fixture
def services(settings, clock):
    """The process-wide services, pointed at a fresh store for this test."""
    services = Services(settings=settings, store=open_store(settings), clock=clock)
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


@dataclass
class Mailbox:
    """What the loopback SMTP server received: `messages` in arrival order."""

    host: str
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port; yields its Mailbox.

    Without aiosmtpd the test is skipped (pip install -r requirements-dev.txt);
    with CI=true it fails instead.
    """
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("aiosmtpd is not installed: pip install -r requirements-dev.txt")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox("127.0.0.1", port)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname=box.host, port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
