"""The whole sign-in path in a real browser, against a freshly baked app.

Bootstrap admin signs in with the one-time password, sets a password, stays
signed in across a reload, signs out; a copy of the cookie taken before the
sign-out must then be refused (Streamlit itself would still accept it: the
revocation is the app's own check on every run).

Needs Chromium (`apt-get install chromium`) and Playwright for Python
(`pip install playwright`). Without them the test is skipped, or fails when CI=true.
"""

from __future__ import annotations

import pytest

from tests.browser_support import (
    UI_TIMEOUT_MS,
    StreamlitServer,
    home_heading,
    one_time_password_shown,
    select_first_row,
    set_first_password,
    sign_in,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "correct horse battery staple"
COOKIE_NAME = "_streamlit_user"


@pytest.fixture
def served_app(request, bake, chromium):
    """Bake the default template and serve it; the server is stopped whatever happens."""
    baked = bake()
    server = StreamlitServer(baked.project_dir)
    request.addfinalizer(server.stop)
    server.start()

    # Runs before server.stop (finalizers run last-in, first-out); pytest shows it on failure.
    request.addfinalizer(lambda: print(f"--- streamlit log ---\n{server.log()}"))
    return baked, server


def _cookie(context, name: str = COOKIE_NAME) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == name), None)


def test_sign_in_set_password_reload_sign_out_and_revoked_cookie(served_app, chromium):
    from playwright.sync_api import expect

    baked, server = served_app
    admin = baked.secrets()["bootstrap_admin"]["username"]

    context = chromium.new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page = context.new_page()

        # First sign-in with the one-time password leads to "Set your password" only.
        sign_in(page, server.url, admin, baked.one_time_password())
        set_first_password(page, NEW_PASSWORD)
        expect(home_heading(page, admin)).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert "ticket" not in page.url, "the one-time ticket must not stay in the address bar"

        cookie = _cookie(context)
        assert cookie is not None, f"no {COOKIE_NAME} cookie after sign-in: {context.cookies()}"
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        assert cookie["path"] == "/"

        # A returning visitor: the reload still shows Home.
        page.reload()
        expect(home_heading(page, admin)).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)

        # Control: the copied cookie alone signs a fresh browser in while the session stands.
        # Without this, the refusal below could pass for the wrong reason.
        stolen = dict(cookie)
        _expect_in_new_context(chromium, server.url, stolen, signed_in=True, admin=admin)

        # Sign out: back on the sign-in page, the cookie gone.
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(home_heading(page, admin)).to_have_count(0)
        assert _cookie(context) is None, "Sign out must delete the cookie"
    finally:
        context.close()

    # The copy taken before sign-out now names a revoked session: refused.
    _expect_in_new_context(chromium, server.url, stolen, signed_in=False, admin=admin)


def _expect_in_new_context(browser, url: str, cookie: dict, *, signed_in: bool, admin: str):
    from playwright.sync_api import expect

    context = browser.new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(url)
        home = home_heading(page, admin)
        sign_in_button = page.get_by_role("button", name="Sign in")
        if signed_in:
            expect(home).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(sign_in_button).to_have_count(0)
            return
        expect(sign_in_button).to_be_visible(timeout=UI_TIMEOUT_MS)
        # Give a late (wrong) rerun the chance to show Home before concluding it does not.
        page.wait_for_timeout(1000)
        expect(home).to_have_count(0)
        expect(sign_in_button).to_be_visible()
        assert _cookie(context) is None, "a refused cookie must be deleted from the browser"
    finally:
        context.close()


def test_admin_creates_a_user_then_disabling_them_signs_them_out(served_app, chromium):
    """Create a user in the console, sign in as them elsewhere, disable them: the user's
    very next interaction (a menu click, no reload) lands on the sign-in page."""
    from playwright.sync_api import expect

    baked, server = served_app
    admin = baked.secrets()["bootstrap_admin"]["username"]
    admin_context, user_context = chromium.new_context(), chromium.new_context()
    for context in (admin_context, user_context):
        context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        console = admin_context.new_page()
        sign_in(console, server.url, admin, baked.one_time_password())
        set_first_password(console, NEW_PASSWORD)
        expect(home_heading(console, admin)).to_be_visible(timeout=UI_TIMEOUT_MS)

        console.goto(f"{server.url}admin_users")
        expect(console.get_by_role("heading", name="Users")).to_be_visible()
        console.get_by_text("Create a user").click()
        console.get_by_role("textbox", name="Username").fill("carol")
        console.get_by_role("textbox", name="Email").fill("carol@example.com")
        console.get_by_role("button", name="Create").click()
        one_time = one_time_password_shown(console)

        user = user_context.new_page()
        sign_in(user, server.url, "carol", one_time)
        set_first_password(user, "tangerine river lantern 58")
        expect(home_heading(user, "carol")).to_be_visible(timeout=UI_TIMEOUT_MS)

        console.get_by_role("textbox", name="Search").fill("carol")
        console.get_by_role("textbox", name="Search").press("Enter")
        expect(console.get_by_text("1 user(s); page 1 of 1.")).to_be_visible()
        select_first_row(console, console.get_by_test_id("stDataFrame").first)
        expect(console.get_by_role("heading", name="carol")).to_be_visible()
        console.get_by_role("button", name="Disable").click()
        expect(console.get_by_text("Disabled carol")).to_be_visible()

        # The user has not reloaded; one click in the menu reruns the script.
        user.frame_locator("iframe").first.get_by_text("Account").click()
        expect(user.get_by_role("button", name="Sign in")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(home_heading(user, "carol")).to_have_count(0)
        assert _cookie(user_context) is None, "the disabled user's cookie must be dropped"
    finally:
        admin_context.close()
        user_context.close()
