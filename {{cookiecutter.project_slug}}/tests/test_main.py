"""main.py, the navigation script: who gets which pages, and the check on every run."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from auth.domain import users
from auth.domain.services import Services
from auth.domain.sessions import (
    issue_ticket,
    start_session,
    token_id,
    verify_session,
)
from auth.store import UserChanges
from auth.texts import T
from auth.web import cookies, keys
from auth.web.routes import auth_routes
from auth.web.services import use_services
from tests.app_pages.support import (
    MAIN,
    app,
    errors,
    is_empty,
    main_module_kept,
    menu_titles,
    redirect_url,
    signed_in,
    titles,
)
from tests.conftest import PASSWORD

SIGN_IN_TITLE = "Sign in to Test Portal"
ADMIN_PAGE = "app_pages/admin_users.py"
HOME_PAGE = "app_pages/home.py"


def assert_signed_out(at) -> None:
    """The guard refused the cookie: st.logout() ran and nothing was drawn."""
    assert not at.exception
    assert at.user["is_logged_in"] is False
    assert is_empty(at)
    assert not at.dataframe
    assert not at.title


def assert_home(at, name: str) -> None:
    assert not at.exception
    assert signed_in(at)
    assert titles(at) == [f"Welcome, {name}"]


def fill_sign_in(at, login: str, password: str) -> None:
    by_label = {t.label: t for t in at.text_input}
    by_label["Username or email"].input(login)
    by_label["Password"].input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()


def with_settings(services, **changes) -> Services:
    """Install new process-wide services with changed settings over the same store and clock."""
    changed = Services(
        settings=dataclasses.replace(services.settings, **changes),
        store=services.store,
        clock=services.clock,
    )
    use_services(changed)
    return changed


def sign_in_with(services, user) -> str:
    ticket = issue_ticket(services, user, origin="http://localhost:8501")
    assert ticket is not None
    token, _, _ = start_session(services, ticket)
    return token


@pytest.fixture(autouse=True)
def _keep_main_module():
    with main_module_kept():
        yield


@pytest.fixture
def viewer(make_user):
    return make_user("bob", roles=("viewer",))


@pytest.fixture
def editor(make_user):
    return make_user("erin", roles=("editor",))


@pytest.fixture
def one_time_user(services):
    user, one_time = users.create_user(
        services, username="newbie", email="newbie@example.com", roles=("viewer",)
    )
    assert one_time and user.must_change_password
    return user


# --- who sees what ------------------------------------------------------------------


def test_anonymous_visitor_sees_only_the_sign_in_page(services):
    at = app(MAIN).run()
    assert not at.exception
    assert titles(at) == [SIGN_IN_TITLE]
    assert menu_titles(at) == ["Sign in"]
    assert "Users" not in menu_titles(at)
    assert not at.dataframe
    assert [t.label for t in at.text_input] == ["Username or email", "Password"]


def test_anonymous_visitor_cannot_switch_to_home_or_admin(services):
    at = app(MAIN).run()
    for target in (HOME_PAGE, ADMIN_PAGE):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(target)
    at.run()
    assert titles(at) == [SIGN_IN_TITLE]


def test_anonymous_visitor_requesting_a_page_url_gets_the_sign_in_page(services, admin, sign_in):
    # The admin's run registers the Users page, so the next request carries its
    # page hash, as a browser does for a typed or bookmarked /admin_users URL.
    at = app(MAIN, sign_in(admin)).run()
    at.switch_page(ADMIN_PAGE).run()
    assert titles(at) == ["Users"]
    at.user = {"is_logged_in": False}
    at.run()
    assert titles(at) == [SIGN_IN_TITLE]
    assert not at.dataframe


def test_viewer_gets_home_and_account_without_an_admin_entry(services, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    assert_home(at, "bob")
    assert menu_titles(at) == ["Home", "Account"]
    assert "Signed in as **bob**" in [c.value for c in at.sidebar.caption]


def test_editor_gets_home_and_account_without_an_admin_entry(services, editor, sign_in):
    at = app(MAIN, sign_in(editor)).run()
    assert_home(at, "erin")
    assert menu_titles(at) == ["Home", "Account"]


def test_viewer_cannot_switch_to_the_admin_page(services, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(ADMIN_PAGE)
    at.run()
    assert_home(at, "bob")
    assert "Users" not in titles(at)
    assert not at.dataframe


def test_viewer_requesting_the_admin_page_url_sees_nothing_of_it(services, admin, viewer, sign_in):
    at = app(MAIN, sign_in(admin)).run()
    at.switch_page(ADMIN_PAGE).run()
    assert titles(at) == ["Users"] and at.dataframe
    # Same browser tab, same requested page, but now the viewer's cookie.
    at.user = {"is_logged_in": True, "sid": sign_in(viewer)}
    at.run()
    assert_home(at, "bob")
    assert "Users" not in titles(at)
    assert not at.dataframe
    assert T.guard_not_allowed not in errors(at)  # the page was never run at all


def test_viewer_picking_users_in_the_menu_stays_where_they_are(services, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    at.session_state[keys.MENU_TARGET] = "Users"
    at.run()
    assert_home(at, "bob")
    assert not at.dataframe


def test_admin_gets_home_account_and_users(services, admin, sign_in):
    at = app(MAIN, sign_in(admin)).run()
    assert_home(at, "root")
    assert menu_titles(at) == ["Home", "Account", "Users", "Invitations", "Audit log"]
    at.switch_page(ADMIN_PAGE).run()
    assert titles(at) == ["Users"]
    assert list(at.dataframe[0].value["username"]) == ["root"]
    at.switch_page("app_pages/account.py").run()
    assert titles(at) == ["Account"]


def test_admin_picking_users_in_the_menu_opens_the_users_page(services, admin, sign_in):
    at = app(MAIN, sign_in(admin)).run()
    at.session_state[keys.MENU_TARGET] = "Users"
    at.run()
    assert titles(at) == ["Users"]
    assert at.dataframe


def test_one_time_password_user_sees_only_set_your_password(services, one_time_user, sign_in):
    at = app(MAIN, sign_in(one_time_user)).run()
    assert not at.exception
    assert titles(at) == ["Set your password"]
    assert menu_titles(at) == ["Set your password"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(HOME_PAGE)
    at.run()
    assert titles(at) == ["Set your password"]


def test_must_change_password_wins_over_a_requested_home_page(services, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    at.switch_page(HOME_PAGE).run()
    assert_home(at, "bob")
    services.store.update_user(viewer.id, UserChanges(must_change_password=True))
    at.run()
    assert titles(at) == ["Set your password"]
    assert menu_titles(at) == ["Set your password"]


# --- the check on every run ---------------------------------------------------------


def test_a_run_checks_the_session_once_for_main_and_its_page(
    services, admin, sign_in, store_checks
):
    token = sign_in(admin)
    at = app(MAIN, token).run()
    assert_home(at, "root")
    assert store_checks == [token]  # main.py checked; the page's require_role() reused it
    at.switch_page(ADMIN_PAGE).run()
    assert titles(at) == ["Users"]
    assert store_checks == [token, token]


def test_every_run_checks_the_session_again(services, viewer, sign_in, store_checks):
    at = app(MAIN, sign_in(viewer)).run()
    at.run()
    at.run()
    assert_home(at, "bob")
    assert len(store_checks) == 3


def test_a_run_ended_by_a_page_switch_leaves_nothing_to_the_next_run(
    services, admin, sign_in, store_checks
):
    at = app(MAIN, sign_in(admin)).run()
    at.session_state[keys.MENU_TARGET] = "Users"
    at.run()  # this run switches page (st.switch_page raises), the next one shows Users
    assert titles(at) == ["Users"]
    assert len(store_checks) == 3


def test_a_session_revoked_after_a_run_is_refused_by_the_next(
    services, clock, viewer, sign_in, store_checks
):
    at = app(MAIN, sign_in(viewer)).run()
    services.store.revoke_user_sessions(viewer.id, now=clock())
    at.run()
    assert_signed_out(at)
    assert len(store_checks) == 2


def test_session_past_its_absolute_lifetime_is_signed_out(services, clock, viewer, sign_in):
    token = sign_in(viewer)
    at = app(MAIN, token).run()
    assert_home(at, "bob")
    clock.advance(days=8)
    at.run()
    assert_signed_out(at)
    assert verify_session(services, token) is None


def test_absolute_lifetime_ends_even_a_busy_session(services, clock, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    for _ in range(8):  # 8 x 20 h = 6 days 16 hours of steady use
        clock.advance(hours=20)
        at.run()
        assert_home(at, "bob")
    clock.advance(hours=8)  # 7 days after sign-in
    at.run()
    assert_signed_out(at)


def test_session_idle_for_more_than_24_hours_is_signed_out(services, clock, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    clock.advance(hours=24, seconds=1)
    at.run()
    assert_signed_out(at)


def test_activity_keeps_a_session_alive_past_the_idle_timeout(services, clock, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    clock.advance(hours=23)
    at.run()
    assert_home(at, "bob")
    clock.advance(hours=23)
    at.run()
    assert_home(at, "bob")


def test_revoked_session_is_signed_out(services, clock, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    assert_home(at, "bob")
    services.store.revoke_user_sessions(viewer.id, now=clock())
    at.run()
    assert_signed_out(at)


@pytest.mark.parametrize("how", ["users.set_disabled", "store flag only"])
def test_disabled_user_is_signed_out(services, viewer, sign_in, how):
    at = app(MAIN, sign_in(viewer)).run()
    assert_home(at, "bob")
    if how == "users.set_disabled":
        users.set_disabled(services, viewer, True)
    else:  # the guard must check the user even if no session was revoked
        services.store.update_user(viewer.id, UserChanges(disabled=True))
    at.run()
    assert_signed_out(at)


def test_deleted_user_is_signed_out(services, viewer, sign_in):
    at = app(MAIN, sign_in(viewer)).run()
    assert_home(at, "bob")
    users.delete_user(services, viewer)
    at.run()
    assert_signed_out(at)


@pytest.mark.parametrize(
    "forged",
    ["forged", "A" * 43, "x" * 200, "' OR 1=1 --", "\x00"],
    ids=["word", "token-shaped", "over-long", "sql", "nul"],
)
def test_forged_or_unknown_sid_is_signed_out(services, viewer, sign_in, forged):
    sign_in(viewer)  # a real session exists, just not this one
    at = app(MAIN, forged).run()
    assert_signed_out(at)


def test_stored_session_id_is_not_a_usable_cookie(services, viewer, sign_in):
    # The store keeps SHA-256(token); someone who read the database cannot present it.
    token = sign_in(viewer)
    at = app(MAIN, token_id(token)).run()
    assert_signed_out(at)


def test_cookie_without_sid_gets_the_sign_in_page(services, viewer, sign_in):
    sign_in(viewer)
    at = app(MAIN)
    at.user = {"is_logged_in": True, "email": "bob@example.com"}
    at.run()
    assert not at.exception
    assert titles(at) == [SIGN_IN_TITLE]
    assert menu_titles(at) == ["Sign in"]


def test_sign_out_ends_the_session_and_a_saved_cookie_stops_working(services, viewer, sign_in):
    token = sign_in(viewer)
    at = app(MAIN, token).run()
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert at.user["is_logged_in"] is False
    assert verify_session(services, token) is None
    replay = app(MAIN, token).run()
    assert_signed_out(replay)


def test_demoted_admin_is_signed_out_and_then_has_no_admin_page(services, admin, make_user):
    carol = make_user("carol", roles=("admin",))
    at = app(MAIN, sign_in_with(services, carol)).run()
    at.switch_page(ADMIN_PAGE).run()
    assert titles(at) == ["Users"]
    users.set_roles(services, carol, ("viewer",))
    at.run()
    assert_signed_out(at)
    again = app(MAIN, sign_in_with(services, carol)).run()
    assert_home(again, "carol")
    assert menu_titles(again) == ["Home", "Account"]


def test_roles_are_read_from_the_store_on_every_run(services, admin, make_user):
    carol = make_user("carol", roles=("admin",))
    at = app(MAIN, sign_in_with(services, carol)).run()
    at.switch_page(ADMIN_PAGE).run()
    assert titles(at) == ["Users"]
    services.store.update_user(carol.id, UserChanges(roles=("viewer",)))  # no session revoked
    at.run()
    assert_home(at, "carol")
    assert menu_titles(at) == ["Home", "Account"]
    assert not at.dataframe


def test_single_session_setting_ends_the_first_session_at_the_second_sign_in(services, viewer):
    single = with_settings(services, single_session=True)
    first = app(MAIN, sign_in_with(single, viewer)).run()
    assert_home(first, "bob")
    second = app(MAIN, sign_in_with(single, viewer)).run()
    assert_home(second, "bob")
    first.run()
    assert_signed_out(first)
    second.run()
    assert_home(second, "bob")


def test_without_single_session_both_sessions_stay(services, viewer, sign_in):
    first = app(MAIN, sign_in(viewer)).run()
    second = app(MAIN, sign_in(viewer)).run()
    first.run()
    assert_home(first, "bob")
    assert_home(second, "bob")


def test_max_concurrent_users_refuses_a_second_person_at_the_sign_in_form(
    services, viewer, make_user
):
    limited = with_settings(services, max_concurrent_users=1)
    make_user("dave")
    assert_home(app(MAIN, sign_in_with(limited, viewer)).run(), "bob")

    at = app(MAIN).run()
    fill_sign_in(at, "dave", PASSWORD)
    assert errors(at) == [T.sign_in_too_many_users]
    assert "Too many people" in errors(at)[0]
    assert redirect_url(at) is None

    # Someone already signed in takes no new seat: bob can sign in in another browser.
    other = app(MAIN).run()
    fill_sign_in(other, "bob", PASSWORD)
    assert not errors(other)
    assert redirect_url(other) is not None


def test_a_seat_frees_up_when_a_session_goes_idle(services, clock, viewer, make_user):
    limited = with_settings(services, max_concurrent_users=1)
    make_user("dave")
    sign_in_with(limited, viewer)
    clock.advance(hours=24, seconds=1)
    at = app(MAIN).run()
    fill_sign_in(at, "dave", PASSWORD)
    assert not errors(at)
    assert redirect_url(at) is not None


def test_a_user_with_only_an_idle_session_does_not_bypass_the_limit(
    services, clock, viewer, make_user
):
    limited = with_settings(services, max_concurrent_users=1)
    dave = make_user("dave")
    sign_in_with(limited, viewer)  # bob's session ...
    clock.advance(hours=24, seconds=1)  # ... dies of the idle timeout
    assert_home(app(MAIN, sign_in_with(limited, dave)).run(), "dave")  # dave takes the seat
    at = app(MAIN).run()
    fill_sign_in(at, "bob", PASSWORD)
    assert errors(at) == [T.sign_in_too_many_users]


def test_sign_in_form_through_route_to_home(services, viewer):
    """The whole path: form -> ticket -> /api/auth/session -> cookie -> st.user -> Home."""
    at = app(MAIN)
    at.context["url"] = "http://localhost:8501/"
    at.run()
    fill_sign_in(at, "bob", PASSWORD)
    assert not errors(at)
    url = redirect_url(at)
    assert url and url.startswith("/api/auth/session?ticket=")

    client = TestClient(Starlette(routes=auth_routes()), follow_redirects=False)
    response = client.get(url)
    assert response.status_code == 303
    payload = cookies.decode(response.cookies[cookies.USER_COOKIE_NAME])
    assert payload["origin"] == "http://localhost:8501"

    home = app(MAIN)
    home.user = payload
    home.run()
    assert_home(home, "bob")


def test_wrong_password_at_the_form_shows_the_common_message(services, viewer):
    at = app(MAIN).run()
    fill_sign_in(at, "bob", "not the password")
    assert errors(at) == [T.sign_in_failed]
    assert redirect_url(at) is None
    assert titles(at) == [SIGN_IN_TITLE]


def test_misconfigured_app_says_so_and_shows_nothing_else():
    use_services(None)  # no test services: main.py builds them from (placeholder) secrets
    at = app(MAIN)
    at.secrets = {"auth": {"cookie_secret": "change-me"}, "passwords": {"pepper": "change-me"}}
    at.run()
    assert not at.exception
    [message] = errors(at)
    assert message.startswith("The app is not configured: ")
    assert "change-me" not in message  # names the key, never echoes a secret
    assert not at.title and not at.text_input
    assert menu_titles(at) == []
