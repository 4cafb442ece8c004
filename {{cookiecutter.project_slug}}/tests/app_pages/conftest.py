"""A browser for each kind of visitor, for running page files directly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from auth.domain import users
from auth.store import User
from tests.app_pages.support import main_module_kept

ROLES = ("anonymous", "viewer", "editor", "admin", "must-change")
SIGNED_IN_ROLES = ("viewer", "editor", "admin")
NOT_SIGNED_IN = ("anonymous", "must-change")


@pytest.fixture(autouse=True)
def _keep_main_module():
    with main_module_kept():
        yield


@dataclass
class Visitor:
    role: str
    user: User | None
    token: str | None


@pytest.fixture
def visitor(services, make_user, sign_in):
    """visitor("admin") -> a Visitor with a user of that role and a live session token.

    "must-change" is a user created with a one-time password (a viewer unless `roles`).
    """

    def make(role: str, username: str | None = None, roles: tuple[str, ...] = ()) -> Visitor:
        if role == "anonymous":
            return Visitor(role, None, None)
        name = username or role.replace("-", "")
        if role == "must-change":
            user, _ = users.create_user(
                services, username=name, email=f"{name}@example.com", roles=roles or ("viewer",)
            )
        else:
            user = make_user(name, roles=(role,))
        return Visitor(role, user, sign_in(user))

    return make
