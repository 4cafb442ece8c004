from pathlib import Path

import pytest

from auth.domain.sessions import verify_session
from auth.store import UserChanges
from navigation import (
    ANONYMOUS,
    ANYONE,
    MUST_CHANGE,
    PAGES,
    MissingPageError,
    PageSpec,
    check_pages,
    menu_pages,
    visible_pages,
)
from tests.conftest import PROJECT_DIR


def titles(identity):
    """What the menu lists for this identity."""
    return [page.title for page in menu_pages(visible_pages(identity))]


def test_every_registered_page_file_exists():
    for page in PAGES:
        assert (PROJECT_DIR / page.path).is_file(), page.path
    check_pages()


def test_a_page_without_a_file_stops_the_app_at_start():
    missing = PageSpec("app_pages/no_such_page.py", "Nowhere", "x")
    with pytest.raises(MissingPageError, match="app_pages/no_such_page.py"):
        check_pages((*PAGES, missing))


def test_anonymous_visitors_see_only_the_sign_in_page():
    assert titles(None) == ["Sign in"]
    assert all(p.audience in (ANONYMOUS, ANYONE) for p in visible_pages(None))
    # Reached by links from the sign-in page and from emails, not the menu:
    assert [p.url_path for p in visible_pages(None)] == [
        "login",
        "register",  # [option: registration=invite_only,open]
        "forgot_password",
        "forgot_username",
        "reset_password",
        "verify_email",
    ]


def test_the_email_confirmation_page_opens_signed_in_or_not(services, make_user, sign_in):
    viewer = verify_session(services, sign_in(make_user("vic", roles=("viewer",))))
    assert visible_pages(viewer)[-1].url_path == "verify_email"
    assert visible_pages(viewer)[0].url_path == "home"  # still the default page


def test_signed_in_users_see_pages_for_their_roles(services, make_user, sign_in, admin):
    viewer = verify_session(services, sign_in(make_user("vic", roles=("viewer",))))
    root = verify_session(services, sign_in(admin))
    assert titles(viewer) == ["Home", "Account"]
    assert titles(root) == ["Home", "Account", "Users", "Invitations", "Audit log"]


def test_a_user_with_a_one_time_password_sees_only_the_set_password_page(
    services, make_user, sign_in
):
    user = make_user("new")
    user = services.store.update_user(user.id, UserChanges(must_change_password=True))
    identity = verify_session(services, sign_in(user))
    assert [p.audience for p in visible_pages(identity)] == [MUST_CHANGE, ANYONE]


def test_every_page_but_sign_in_calls_the_guard():
    for page in PAGES:
        source = Path(PROJECT_DIR / page.path).read_text()
        if page.audience not in (ANONYMOUS,):
            assert "require_role(" in source or "current_identity()" in source, page.path
