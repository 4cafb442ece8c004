"""The admin users page: admins see a table of users (never a hash); nobody else sees any of it."""

from __future__ import annotations

import pytest

from auth.domain import users
from auth.store import NewUser
from auth.texts import T
from auth.web import keys
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
    assert errors(at) == [T.guard_not_allowed]
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
            NewUser(
                username=f"user{n:02d}",
                email=f"user{n:02d}@example.com",
                password_hash=None,
                roles=("viewer",),
            ),
            now=clock(),
        )
    at = page("admin_users", who.token).run()
    assert len(at.dataframe[0].value) == 50
    assert "56 user(s); page 1 of 2." in at.caption[0].value
    at.number_input[0].set_value(2).run()
    second = list(at.dataframe[0].value["username"])
    assert second == [f"user{n:02d}" for n in range(49, 55)]
    assert "page 2 of 2" in at.caption[0].value


# --- the console: search, filter, select, act --------------------------------------------

ADMIN_PAGES = ("admin_users", "admin_invitations", "admin_audit")


def select(at, username: str):
    """Click the table row of `username`, as the browser reports a row selection."""
    names = list(at.dataframe[0].value["username"])
    generation = at.session_state[keys.key("users", "table_generation")]
    key = f"{keys.key('users', 'table')}_{generation}"
    at.session_state[key] = {
        "selection": {"rows": [names.index(username)], "columns": [], "cells": []}
    }
    return at.run()


def button(at, label: str):
    [found] = [b for b in at.button if b.label == label]
    return found


def messages(at) -> list[str]:
    return [m.value for kind in (at.success, at.warning, at.error, at.info) for m in kind]


@pytest.fixture
def console(services, visitor, make_user):
    who = visitor("admin")
    make_user("bob", first_name="Bob", roles=("viewer",))
    make_user("erin", roles=("editor",))
    return page("admin_users", who.token).run()


def test_search_filters_the_table_in_the_store(console):
    console.text_input[0].input("ERIN").run()
    assert list(console.dataframe[0].value["username"]) == ["erin"]
    console.text_input[0].input("").run()
    console.selectbox[0].select("viewer").run()  # role
    assert list(console.dataframe[0].value["username"]) == ["bob"]


def test_status_filter_and_descending_sort(services, console):
    users.set_disabled(services, users.get_by_username(services, "erin"), True)
    console.selectbox[1].select("disabled").run()
    assert list(console.dataframe[0].value["username"]) == ["erin"]
    console.selectbox[1].select("any").run()
    console.toggle[0].set_value(True).run()
    assert list(console.dataframe[0].value["username"]) == ["erin", "bob", "admin"]


def test_a_selection_is_dropped_when_the_rows_change(console):
    select(console, "bob")
    assert [s.value for s in console.subheader] == ["bob"]
    console.toggle[0].set_value(True).run()  # descending: row 1 is now someone else
    assert not console.subheader
    assert "Disable" not in [b.label for b in console.button]


def test_selecting_a_row_shows_details_and_actions(console):
    select(console, "bob")
    assert [s.value for s in console.subheader] == ["bob"]
    labels = [b.label for b in console.button]
    for label in ("Disable", "Sign out everywhere", "Send password reset link"):
        assert label in labels


def test_admin_selecting_themselves_gets_no_disable_or_delete(console):
    select(console, "admin")
    labels = [b.label for b in console.button]
    assert "Disable" not in labels and "Delete permanently" not in labels


def test_edit_a_user_from_the_form(services, console):
    select(console, "bob")
    form_inputs = [t for t in console.text_input if t.label in ("First name", "Email")]
    form_inputs[0].input("Robert")
    form_inputs[1].input("robert@example.com")
    console.multiselect[0].set_value(["editor"])
    button(console, "Save changes").click().run()
    assert not console.exception
    bob = users.get_by_username(services, "bob")
    assert (bob.first_name, bob.email, bob.roles) == ("Robert", "robert@example.com", ("editor",))
    assert "Saved bob." in messages(console)


def test_a_bad_edit_shows_the_reason_and_changes_nothing(services, console):
    select(console, "bob")
    before = users.get_by_username(services, "bob")
    email = [t for t in console.text_input if t.label == "Email"][0]  # the edit form's
    email.input("not an email")
    button(console, "Save changes").click().run()
    assert any("email" in e.lower() for e in errors(console))
    assert users.get_by_username(services, "bob") == before


def test_disable_then_enable(services, console):
    select(console, "bob")
    button(console, "Disable").click().run()
    assert users.get_by_username(services, "bob").disabled
    assert any("Disabled bob" in m for m in messages(console))
    button(console, "Enable").click().run()
    assert not users.get_by_username(services, "bob").disabled


def test_unlock_a_locked_user(services, console):
    from auth.domain.login import authenticate

    for _ in range(services.settings.max_failed_attempts):
        authenticate(services, "bob", "wrong wrong wrong")
    console.run()
    select(console, "bob")
    button(console, "Unlock").click().run()
    assert not users.get_by_username(services, "bob").is_locked(services.now())


def test_sign_out_everywhere_ends_their_sessions(services, console, sign_in):
    from auth.domain.sessions import verify_session

    token = sign_in(users.get_by_username(services, "bob"))
    select(console, "bob")
    button(console, "Sign out everywhere").click().run()
    assert verify_session(services, token) is None
    assert "Ended 1 session(s) of bob." in messages(console)


def test_reset_link_is_shown_once_when_email_is_not_configured(services, console):
    select(console, "bob")
    button(console, "Send password reset link").click().run()
    [shown] = [m for m in messages(console) if "one-time link" in m]
    assert "/reset_password?token=" in shown
    console.run()
    assert not [m for m in messages(console) if "one-time link" in m]


def test_reset_link_is_emailed_when_email_is_configured(services, console, mail):
    select(console, "bob")
    button(console, "Send password reset link").click().run()
    assert "A reset link was emailed to bob@example.com." in messages(console)
    assert mail.last("bob@example.com")


def test_delete_needs_the_typed_username(services, console):
    select(console, "bob")
    [confirm] = [t for t in console.text_input if t.label == "Type bob to confirm"]
    confirm.input("bobby")
    button(console, "Delete permanently").click().run()
    assert services.store.find_user("bob") is not None
    assert any("Type bob exactly" in e for e in errors(console))
    [confirm] = [t for t in console.text_input if t.label == "Type bob to confirm"]
    confirm.input("bob")
    button(console, "Delete permanently").click().run()
    assert services.store.find_user("bob") is None
    assert "Deleted bob." in messages(console)
    assert "bob" not in list(console.dataframe[0].value["username"])
    assert not console.subheader  # not the user who moved up into bob's row


def test_create_shows_a_one_time_password_once(services, console):
    form = {t.label: t for t in console.text_input if t.label in ("Username",)}
    form["Username"].input("carol")
    email = [t for t in console.text_input if t.label == "Email"][-1]  # the create form's
    email.input("carol@example.com")
    button(console, "Create").click().run()
    carol = services.store.find_user("carol")
    assert carol is not None and carol.must_change_password
    [shown] = [m for m in messages(console) if "one-time password" in m]
    assert "Created carol" in shown
    console.run()
    assert not [m for m in messages(console) if "one-time password" in m]


def test_create_refuses_a_taken_username(services, console):
    [name] = [t for t in console.text_input if t.label == "Username"]
    name.input("bob")
    email = [t for t in console.text_input if t.label == "Email"][-1]
    email.input("other@example.com")
    button(console, "Create").click().run()
    assert "That username is already taken." in errors(console)


def test_csv_import_dry_run_then_apply(services, console):
    console.text_area(key=keys.key("users", "import_text")).input(
        "username,email,roles\nann,ann@example.com,viewer\nbob,dup@example.com,\n"
    ).run()
    assert button(console, "Create these users").disabled
    button(console, "Check (dry run)").click().run()
    assert "1 to create, 1 to skip." in messages(console)
    report = console.dataframe[1].value  # after the users table
    assert list(report["outcome"]) == ["create", "skipped"]
    assert services.store.find_user("ann") is None
    button(console, "Create these users").click().run()
    assert not console.exception
    assert services.store.find_user("ann") is not None
    assert "Created 1, skipped 1." in messages(console)
    done = console.dataframe[1].value
    assert list(done["outcome"]) == ["created", "skipped"]


def test_csv_import_of_a_bad_file_says_why(services, console):
    console.text_area(key=keys.key("users", "import_text")).input("name,mail\nx,y\n").run()
    button(console, "Check (dry run)").click().run()
    assert any("first line must name" in e for e in errors(console))


def test_export_offers_a_download_without_secrets(services, console):
    button(console, "Prepare the export").click().run()
    assert not console.exception
    [download] = console.get("download_button")
    assert "Download users.csv" in str(download.proto)
    assert [e.event for e in services.store.list_audit()][0] == "users_exported"


@pytest.mark.parametrize("name", ADMIN_PAGES)
@pytest.mark.parametrize("role", ["anonymous", "viewer", "editor", "must-change"])
def test_no_admin_page_shows_anything_to_a_non_admin(services, visitor, admin, name, role):
    at = page(name, visitor(role).token).run()
    assert not at.exception
    assert not at.dataframe and not at.button and not at.text_input and not at.metric
    assert not [t for t in titles(at) if t in ("Users", "Invitations", "Audit log")]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_no_admin_page_shows_anything_to_a_guest(services, sign_in, admin, clock, name):
    guest = services.store.create_user(
        NewUser(
            username="guesty",
            email="g@example.com",
            password_hash=None,
            roles=("viewer",),
            identity=("google", "sub-9"),
        ),
        now=clock(),
    )
    at = page(name, sign_in(guest)).run()
    assert errors(at) == [T.guard_not_allowed]
    assert not at.dataframe and not at.button and not at.metric


@pytest.mark.parametrize("role", ["anonymous", "viewer", "editor", "guest"])
def test_the_menu_offers_no_admin_page_to_non_admins(
    services, visitor, admin, clock, sign_in, role
):
    from tests.app_pages.support import MAIN, app, menu_titles

    if role == "guest":
        guest = services.store.create_user(
            NewUser(
                username="guesty",
                email="g@example.com",
                password_hash=None,
                roles=("viewer",),
                identity=("google", "sub-9"),
            ),
            now=clock(),
        )
        token = sign_in(guest)
    else:
        token = visitor(role).token
    at = app(MAIN, token).run()
    assert not at.exception
    assert not {"Users", "Invitations", "Audit log"} & set(menu_titles(at))


def test_the_menu_offers_every_admin_page_to_an_admin(services, visitor):
    from tests.app_pages.support import MAIN, app, menu_titles

    at = app(MAIN, visitor("admin").token).run()
    assert {"Users", "Invitations", "Audit log"} <= set(menu_titles(at))
