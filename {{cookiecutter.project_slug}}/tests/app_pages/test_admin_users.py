"""The admin users page: admins see a table of users (never a hash); nobody else sees any of it."""

from __future__ import annotations

import pytest

from auth import users
from auth.guard import NOT_ALLOWED_MESSAGE
from tests.app_pages.support import errors, page, titles

SHOWN_COLUMNS = ["username", "email", "first_name", "last_name", "roles", "status", "last_login_at"]
SECRET_COLUMNS = {"password_hash", "failed_logins", "locked_until", "id"}
HASH_MARKERS = ("bcrypt_hmac$", "$2b$", "$2a$", "pbkdf2_sha256$")


def assert_no_admin_content(at) -> None:
    assert not at.exception
    assert "Users" not in titles(at)
    assert not at.dataframe
    assert not at.caption
    assert not at.number_input


def all_cells(frame) -> list[str]:
    return [str(v) for column in frame.columns for v in frame[column].tolist()]


def test_anonymous_visitor_sees_nothing_of_the_users_page(services, visitor, admin):
    at = page("admin_users", visitor("anonymous").token).run()
    assert_no_admin_content(at)
    assert [w.value for w in at.warning] == ["Please sign in."]


@pytest.mark.parametrize("roles", [("viewer",), ("admin",)], ids=["viewer", "admin"])
def test_one_time_password_user_sees_nothing_of_the_users_page(services, visitor, admin, roles):
    at = page("admin_users", visitor("must-change", roles=roles).token).run()
    assert_no_admin_content(at)
    assert [w.value for w in at.warning] == ["Please sign in."]


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_non_admin_gets_the_not_allowed_error_and_no_table(services, visitor, admin, role):
    at = page("admin_users", visitor(role).token).run()
    assert_no_admin_content(at)
    assert errors(at) == [NOT_ALLOWED_MESSAGE]
    assert errors(at) == ["You do not have access to this page."]


def test_admin_sees_every_user_without_any_password_hash(services, visitor, make_user):
    who = visitor("admin")
    make_user("bob", roles=("viewer",), first_name="Bob")
    make_user("erin", roles=("editor", "viewer"))
    users.set_disabled(services, make_user("dan"), True)
    at = page("admin_users", who.token).run()
    assert not at.exception and not at.error
    assert titles(at) == ["Users"]
    [table] = at.dataframe
    frame = table.value
    assert list(frame["username"]) == ["admin", "bob", "dan", "erin"]
    assert set(SHOWN_COLUMNS) <= set(frame.columns)
    assert not SECRET_COLUMNS & set(frame.columns)
    assert list(table.proto.column_order) == SHOWN_COLUMNS
    cells = all_cells(frame)
    assert not [c for c in cells if any(marker in c for marker in HASH_MARKERS)]
    stored = {u.password_hash for u in services.store.list_users()}
    assert not stored & set(cells)
    status = dict(zip(frame["username"], frame["status"], strict=True))
    assert status == {"admin": "active", "bob": "active", "dan": "disabled", "erin": "active"}
    assert "4 user(s); page 1 of 1." in at.caption[0].value
    assert not at.number_input


def test_admin_pages_through_more_than_fifty_users(services, visitor, clock):
    who = visitor("admin")
    for n in range(55):
        services.store.create_user(
            username=f"user{n:02d}",
            email=f"user{n:02d}@example.com",
            password_hash=None,
            roles=("viewer",),
            now=clock(),
        )
    at = page("admin_users", who.token).run()
    assert len(at.dataframe[0].value) == 50
    assert "56 user(s); page 1 of 2." in at.caption[0].value
    at.number_input[0].set_value(2).run()
    second = list(at.dataframe[0].value["username"])
    assert second == [f"user{n:02d}" for n in range(49, 55)]
    assert "page 2 of 2" in at.caption[0].value
