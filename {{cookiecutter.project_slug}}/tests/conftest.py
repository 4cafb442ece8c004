"""Shared fixtures: a real SQLite store in a temporary folder, a controllable clock,
and helpers to create users and sign them in the way the app does."""

from __future__ import annotations

import importlib.util
import secrets
from dataclasses import dataclass
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
# The app's tests run on a file store: SQLite unless this project was generated with YAML.
APP_TEST_BACKEND = "sqlite" if importlib.util.find_spec("auth.store.sql") else "yaml"


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
        sqlite_path=tmp_path / "users.db",
        yaml_path=tmp_path / "config.yaml",
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
