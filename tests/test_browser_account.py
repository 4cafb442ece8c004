"""The account page in a real browser, against a freshly baked app with a loopback SMTP server.

The admin changes their email: the confirmation mail arrives at a real SMTP
server (aiosmtpd), its link is opened in another browser with no cookie, the
token leaves the address bar, the address changes and the old one is told; the
link then fails. The session list names the browser and signs out another
browser's session, which that browser notices on its next load.

Needs Chromium, Playwright and aiosmtpd; skipped without them, failing when CI=true.
"""

from __future__ import annotations

import importlib.util
import re
import time
from collections.abc import Iterator

import pytest

from tests.browser_support import (
    UI_TIMEOUT_MS,
    StreamlitServer,
    free_port,
    home_heading,
    set_first_password,
    sign_in,
    smtp_inbox,
)
from tests.conftest import is_ci

pytestmark = pytest.mark.browser

NEW_PASSWORD = "correct horse battery staple"
NEW_EMAIL = "root.new@example.com"
LINK_RE = re.compile(r"https?://\S+/verify_email\?token=\S+")


@pytest.fixture
def mailbox() -> Iterator[tuple[list, int]]:
    """A real SMTP server on 127.0.0.1; yields the list its messages arrive in and its port."""
    if importlib.util.find_spec("aiosmtpd") is None:
        if is_ci():
            pytest.fail("CI=true and aiosmtpd is missing: pip install -r requirements-dev.txt")
        pytest.skip("needs aiosmtpd: pip install -r requirements-dev.txt")
    with smtp_inbox() as (port, messages):
        yield messages, port


def wait_for_mail(messages: list, to: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in messages if m["To"] == to]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no email to {to}; got {[m['To'] for m in messages]}")


@pytest.fixture
def served_app(request, bake, chromium, mailbox):
    """The default bake, sending mail to the loopback server, with links to where it is served."""
    messages, smtp_port = mailbox
    baked = bake()
    server = StreamlitServer(baked.project_dir, port=free_port())
    secrets = baked.project_dir / ".streamlit" / "secrets.toml"
    with secrets.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
            'from = "app@example.com"\n'
            f'\n[app]\nbase_url = "http://127.0.0.1:{server.port}"\n'
        )
    request.addfinalizer(server.stop)
    server.start()
    request.addfinalizer(lambda: print(f"--- streamlit log ---\n{server.log()}"))
    return baked, server, messages


def new_page(browser):
    context = browser.new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context, context.new_page()


def test_email_change_by_link_and_signing_out_another_browser(served_app, chromium):
    from playwright.sync_api import expect

    baked, server, messages = served_app
    admin = baked.secrets()["bootstrap_admin"]
    old_email = admin["email"]

    context, page = new_page(chromium)
    other_context, other = new_page(chromium)
    link_context, link_page = new_page(chromium)
    try:
        sign_in(page, server.url, admin["username"], baked.one_time_password())
        set_first_password(page, NEW_PASSWORD)
        expect(home_heading(page, admin["username"])).to_be_visible(timeout=UI_TIMEOUT_MS)
        sign_in(other, server.url, admin["username"], NEW_PASSWORD)
        expect(home_heading(other, admin["username"])).to_be_visible(timeout=UI_TIMEOUT_MS)

        page.goto(server.url + "account")
        expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        expect(page.get_by_text("This session")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.get_by_text("Chrome on Linux").first).to_be_visible(timeout=UI_TIMEOUT_MS)

        # Change the email: a link goes to the new address, nothing changes yet.
        page.get_by_role("textbox", name="New email address").fill(NEW_EMAIL)
        page.get_by_role("textbox", name="Password", exact=True).first.fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change email").click()
        expect(page.get_by_text("We sent a confirmation link to")).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        link = LINK_RE.search(wait_for_mail(messages, NEW_EMAIL).get_content()).group(0)
        assert link.startswith(server.url + "verify_email?token=")

        # Opened in another browser, signed in nowhere.
        link_page.goto(link)
        expect(link_page.get_by_text(f"Thank you: {NEW_EMAIL} is confirmed.")).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        expect(link_page.get_by_role("heading", name="Confirm your email address")).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        link_page.wait_for_function("!window.location.search.includes('token')")
        assert NEW_EMAIL in wait_for_mail(messages, old_email).get_content()

        page.reload()
        expect(page.get_by_text(f"Email: {NEW_EMAIL}")).to_be_visible(timeout=UI_TIMEOUT_MS)

        # The link works once.
        link_page.goto(link)
        expect(link_page.get_by_text("This link is not valid")).to_be_visible(timeout=UI_TIMEOUT_MS)

        # Sign out the other browser from here; it is signed out at its next load.
        main = page.get_by_test_id("stMain")  # the sidebar has its own "Sign out"
        main.get_by_role("button", name="Sign out", exact=True).click()
        expect(page.get_by_text("That session was signed out.")).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        other.reload()
        expect(other.get_by_role("button", name="Sign in")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(home_heading(other, admin["username"])).to_have_count(0, timeout=UI_TIMEOUT_MS)

        # The only admin cannot delete their account, and is told why.
        page.get_by_role("textbox", name="Password", exact=True).nth(1).fill(NEW_PASSWORD)
        page.get_by_role("textbox", name="Type your username to confirm").fill(admin["username"])
        page.get_by_role("button", name="Delete my account").click()
        expect(page.get_by_text("You are the last administrator")).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
    finally:
        for each in (context, other_context, link_context):
            each.close()
