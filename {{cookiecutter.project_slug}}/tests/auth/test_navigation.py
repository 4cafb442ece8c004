from pathlib import Path

from auth.navigation import ANONYMOUS, ANYONE, MUST_CHANGE, PAGES, menu_pages, visible_pages
from auth.sessions import verify_session
from tests.conftest import PROJECT_DIR


def titles(identity):
    """The menu's entries on the first page (pages reached only by a link are not listed)."""
    pages = visible_pages(identity)
    return [page.title for page in menu_pages(pages, pages[0].path)]


def test_every_registered_page_file_exists():
    for page in PAGES:
        assert (PROJECT_DIR / page.path).is_file(), page.path


def test_anonymous_visitors_see_only_the_sign_in_page():
    assert titles(None) == ["Sign in"]
    assert all(p.audience in (ANONYMOUS, ANYONE) for p in visible_pages(None))


def test_signed_in_users_see_pages_for_their_roles(services, make_user, sign_in, admin):
    viewer = verify_session(services, sign_in(make_user("vic", roles=("viewer",))))
    root = verify_session(services, sign_in(admin))
    assert titles(viewer) == ["Home", "Account"]
    assert titles(root) == ["Home", "Account", "Users"]


def test_a_user_with_a_one_time_password_sees_only_the_set_password_page(
    services, make_user, sign_in
):
    user = make_user("new")
    user = services.store.update_user(user.id, must_change_password=True)
    identity = verify_session(services, sign_in(user))
    assert [p.audience for p in visible_pages(identity) if p.audience != ANYONE] == [MUST_CHANGE]


def test_every_page_but_sign_in_calls_the_guard():
    for page in PAGES:
        source = Path(PROJECT_DIR / page.path).read_text()
        if page.audience != ANONYMOUS:
            assert "require_role(" in source or "current_identity()" in source, page.path


def test_link_pages_are_open_to_everyone_and_listed_only_while_open(services, make_user, sign_in):
    confirm = next(p for p in PAGES if p.path == "app_pages/confirm_email.py")
    identity = verify_session(services, sign_in(make_user("vic")))
    for who in (None, identity):
        pages = visible_pages(who)
        assert confirm in pages
        assert confirm not in menu_pages(pages, pages[0].path)
        assert confirm in menu_pages(pages, confirm.path)
