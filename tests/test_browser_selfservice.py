"""Self-service in a real browser, with a real SMTP server on loopback.

Register with an invited email, confirm it by the emailed link, sign in; then
forgot password, follow the emailed link, choose a new password, sign in with
it, and the session signed in before the reset is gone.

The app is baked with `captcha = none`: the captcha's answer exists only on the
server, which is the point of it (AppTest covers the captcha). Needs Chromium,
Playwright and aiosmtpd; without them the test is skipped, or fails when CI=true.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.browser_support import (
    UI_TIMEOUT_MS,
    StreamlitServer,
    free_port,
    home_heading,
    sign_in,
    smtp_inbox,
)
from tests.conftest import is_ci

pytestmark = pytest.mark.browser

PASSWORD = "plum orbit kettle 42"
NEW_PASSWORD = "copper meadow violin 88"
EMAIL = "nina@example.com"


def _need(what: str) -> None:
    if is_ci():
        pytest.fail(f"CI=true and the self-service browser test {what}")
    pytest.skip(f"self-service browser test {what}")


@pytest.fixture
def inbox() -> Iterator[tuple[int, list]]:
    """A real SMTP server on 127.0.0.1 keeping every message: (port, messages)."""
    if importlib.util.find_spec("aiosmtpd") is None:
        _need("needs aiosmtpd: pip install aiosmtpd")
    with smtp_inbox() as inbox:
        yield inbox


def wait_for_link(messages: list, page_name: str, count: int, timeout: float = 20) -> str:
    """The link to `page_name` in the `count`-th message, once it has arrived."""
    deadline = time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(messages) >= count, f"expected {count} emails, got {len(messages)}"
    message = messages[count - 1]
    assert message["To"] == EMAIL
    match = re.search(rf"https?://\S+/{page_name}\?token=\S+", message.get_content())
    assert match, message.get_content()
    return match.group(0)


@pytest.fixture
def served_app(request, bake, chromium, inbox):
    baked = bake(registration="invite_only", captcha="none")
    project, port = baked.project_dir, free_port()
    smtp_port, _ = inbox
    with (project / ".streamlit" / "secrets.toml").open("a", encoding="utf-8") as secrets:
        secrets.write(
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
            f'from = "portal@example.com"\n\n[app]\nbase_url = "http://127.0.0.1:{port}"\n'
        )
    invite = (
        "import tomllib\nfrom datetime import UTC, datetime\n"
        "from auth.config import load_settings\nfrom auth.store import open_store\n"
        "with open('.streamlit/secrets.toml', 'rb') as f:\n    secrets = tomllib.load(f)\n"
        "store = open_store(load_settings(secrets))\n"
        f"store.add_invitations([{EMAIL!r}], now=datetime.now(UTC))\n"
    )
    subprocess.run([sys.executable, "-c", invite], cwd=project, check=True, timeout=60)
    server = StreamlitServer(project, port=port)
    request.addfinalizer(server.stop)
    server.start()
    request.addfinalizer(lambda: print(f"--- streamlit log ---\n{server.log()}"))
    return baked, server


def fill(page, label: str, value: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(value)
    # Enter commits the value (Tab from a password field only reaches its "show" button).
    box.press("Enter")
    page.wait_for_timeout(300)


def test_register_verify_sign_in_then_reset_the_password(served_app, chromium, inbox):
    from playwright.sync_api import expect

    _, server = served_app
    _, messages = inbox
    # bcrypt at the app's real cost plus zxcvbn: a loaded machine needs more than 5 s.
    expect.set_options(timeout=UI_TIMEOUT_MS)
    first = chromium.new_context()
    first.set_default_timeout(UI_TIMEOUT_MS)
    second = chromium.new_context()
    second.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page = first.new_page()
        # Register with the invited address.
        page.goto(f"{server.url}register")
        expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
        for label, value in [
            ("Username", "nina"),
            ("Email address", EMAIL),
            ("First name", "Nina"),
            ("Last name", "Newton"),
            ("Password", PASSWORD),
            ("Repeat the password", PASSWORD),
        ]:
            fill(page, label, value)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text(f"We sent a link to {EMAIL}")).to_be_visible()

        # Not confirmed yet: the common failure plus the hint.
        sign_in(page, server.url, "nina", PASSWORD)
        expect(page.get_by_text("confirm your email address first")).to_be_visible()

        # Confirm by the emailed link; the token leaves the address bar.
        page.goto(wait_for_link(messages, "verify_email", 1))
        expect(page.get_by_text(f"Thank you: {EMAIL} is confirmed.")).to_be_visible()
        assert "token" not in page.url

        sign_in(page, server.url, "nina", PASSWORD)
        expect(home_heading(page, "Nina Newton")).to_be_visible()

        # A second browser: forgot password, follow the emailed link, new password.
        other = second.new_page()
        other.goto(f"{server.url}forgot_password")
        other.get_by_role("textbox", name="Username or email").fill("nina")  # a form: no Enter
        other.get_by_role("button", name="Send the link").click()
        expect(other.get_by_text("If an account matches")).to_be_visible()
        other.goto(wait_for_link(messages, "reset_password", 2))
        expect(other.get_by_role("heading", name="Choose a new password")).to_be_visible()
        fill(other, "New password", NEW_PASSWORD)
        fill(other, "Repeat it", NEW_PASSWORD)
        other.get_by_role("button", name="Save new password").click()
        expect(other.get_by_text("Your password was changed")).to_be_visible()
        assert "token" not in other.url
        assert len(messages) == 3 and "password was changed" in messages[2]["Subject"]

        # The old password fails, the new one works.
        sign_in(other, server.url, "nina", PASSWORD)
        expect(other.get_by_text("Incorrect username or password")).to_be_visible()
        sign_in(other, server.url, "nina", NEW_PASSWORD)
        expect(home_heading(other, "Nina Newton")).to_be_visible()

        # The first browser's session ended with the reset.
        page.reload()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(home_heading(page, "Nina Newton")).to_have_count(0)
    finally:
        first.close()
        second.close()
