"""Which pages exist for whom: the single table to edit when you add or guard a page.

`st.navigation` only knows the pages registered in the current run, so a page
left out here cannot be reached by typing its URL. Every page listed must
exist: a missing file stops the app at start (`check_pages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auth.domain.sessions import Identity
from auth.texts import T

PROJECT_DIR = Path(__file__).resolve().parent

ANONYMOUS = "anonymous"  # only people who are not signed in (the sign-in page)
SIGNED_IN = "signed-in"  # anyone signed in; `roles` narrows it further
MUST_CHANGE = "must-change-password"  # signed in with a one-time password
ANYONE = "anyone"  # signed in or not (e.g. the page an emailed confirmation link opens)


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under app_pages/, relative to main.py
    title: str
    icon: str  # Bootstrap icon name (https://icons.getbootstrap.com), used by the menu
    audience: str = SIGNED_IN
    roles: tuple[str, ...] = ()  # every one of them is required
    section: str = ""  # groups pages in the menu
    in_menu: bool = True  # False: reached by a link (sign-in page, email), not the menu

    @property
    def url_path(self) -> str:
        return self.path.rsplit("/", 1)[-1].removesuffix(".py")


# The auth pages' titles are texts (auth/texts), so that they are reworded or translated there.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/login.py", T.sign_in, "box-arrow-in-right", audience=ANONYMOUS),
    # Self-service pages, linked from the sign-in page and from emails.
    # [option: registration=invite_only,open]
    PageSpec("app_pages/register.py", T.register_title, "person-plus", ANONYMOUS, in_menu=False),
    # [end option: registration=invite_only,open]
    PageSpec(
        "app_pages/forgot_password.py", T.nav_forgot_password, "key", ANONYMOUS, in_menu=False
    ),
    PageSpec("app_pages/forgot_username.py", T.nav_forgot_username, "at", ANONYMOUS, in_menu=False),
    PageSpec("app_pages/reset_password.py", T.nav_reset_password, "key", ANONYMOUS, in_menu=False),
    PageSpec("app_pages/set_password.py", T.set_password_title, "key", audience=MUST_CHANGE),
    PageSpec("app_pages/home.py", "Home", "house"),
    PageSpec("app_pages/account.py", T.account_title, "person-circle"),
    # Add your pages here, e.g. an editors-only page:
    # PageSpec("app_pages/reports.py", "Reports", "bar-chart", roles=("editor",)),
    PageSpec(
        "app_pages/admin_users.py",
        T.admin_users_title,
        "people",
        roles=("admin",),
        section=T.nav_admin_section,
    ),
    PageSpec(
        "app_pages/admin_invitations.py",
        T.invite_title,
        "envelope-plus",
        roles=("admin",),
        section=T.nav_admin_section,
    ),
    PageSpec(
        "app_pages/admin_audit.py",
        T.audit_title,
        "journal-text",
        roles=("admin",),
        section=T.nav_admin_section,
    ),
    PageSpec(
        "app_pages/verify_email.py", T.nav_confirm_email, "envelope-check", ANYONE, in_menu=False
    ),
)


class MissingPageError(RuntimeError):
    """A PageSpec names a file that does not exist: a mistake in PAGES, not a setting."""


def check_pages(pages: tuple[PageSpec, ...] = PAGES) -> None:
    """Stop the app at start when a listed page has no file (instead of hiding the page)."""
    missing = [page.path for page in pages if not (PROJECT_DIR / page.path).is_file()]
    if missing:
        raise MissingPageError(f"navigation.py lists pages with no file: {', '.join(missing)}")


check_pages()


def can_see(page: PageSpec, identity: Identity | None) -> bool:
    if page.audience == ANYONE:
        return True
    if identity is None:
        return page.audience == ANONYMOUS
    if identity.user.must_change_password:
        return page.audience == MUST_CHANGE
    return page.audience == SIGNED_IN and set(page.roles) <= set(identity.roles)


def visible_pages(identity: Identity | None) -> list[PageSpec]:
    """The pages this identity may open, in menu order."""
    return [page for page in PAGES if can_see(page, identity)]


def has_page(path: str) -> bool:
    """Whether PAGES lists the page (e.g. "app_pages/home.py")."""
    return any(page.path == path for page in PAGES)


def menu_pages(pages: list[PageSpec]) -> list[PageSpec]:
    """The pages the sidebar menu lists."""
    return [page for page in pages if page.in_menu]
