"""The whole sign-in path in a real browser, against a freshly baked app.

Bootstrap admin signs in with the one-time password, sets a password, stays
signed in across a reload, signs out; a copy of the cookie taken before the
sign-out must then be refused (Streamlit itself would still accept it: the
revocation is the app's own check on every run).

Needs Chromium (`apt-get install chromium`) and Playwright for Python
(`pip install playwright`). Without them the test is skipped, or fails when CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser_support import (
    UI_TIMEOUT_MS,
    StreamlitServer,
    home_heading,
    launch_chromium,
    missing_browser_tools,
    set_first_password,
    sign_in,
)
from tests.conftest import is_ci

pytestmark = pytest.mark.browser

NEW_PASSWORD = "correct horse battery staple"
COOKIE_NAME = "_streamlit_user"


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """A headless system Chromium, or a skip (a failure when CI=true) saying how to get one."""
    missing = missing_browser_tools()
    if missing is not None:
        if is_ci():
            pytest.fail(f"CI=true and the browser test {missing}")
        pytest.skip(f"browser test {missing}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


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
