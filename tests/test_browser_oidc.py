"""Guest sign-in through a real OpenID provider, in a real browser, against a baked app.

A mock OpenID Connect provider (PyPI `oidc-provider-mock`) runs on loopback; the
app is baked with providers chosen, their secrets point at the mock, and it is
served with `streamlit run`. Chromium signs in as a guest and lands on Home
with the guest role and no admin pages; a reload keeps the sign-in. The guest
is then disabled by an admin with `manage.py disable` (the CLI rather than the
admin Users page, which is being rebuilt), the guest's next interaction signs
them out through the provider's end-session page, and a new sign-in is refused.
Repeated with two providers side by side: disabling one provider's guest leaves
the other's session alone.

Needs Chromium, Playwright and oidc-provider-mock (requirements-dev.txt). Without
them the tests are skipped, or fail when CI=true.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.browser_support import (
    UI_TIMEOUT_MS,
    OidcProviderMock,
    StreamlitServer,
    add_oidc_secrets,
    free_port,
    home_heading,
    missing_oidc_provider,
)
from tests.conftest import is_ci

pytestmark = pytest.mark.browser

REFUSED = "This account may not sign in here."
LABELS = {"google": "Google", "generic": "single sign-on"}


def guest(sub: str, name: str, domain: str = "guests.example") -> dict:
    return {
        "sub": sub,
        "email": f"{sub}@{domain}",
        "email_verified": True,
        "name": name,
    }


@pytest.fixture
def oidc_app(request, bake, chromium):
    """oidc_app({"generic": [users]}) -> (baked, base_url): the app with one mock per provider."""
    missing = missing_oidc_provider()
    if missing is not None:
        if is_ci():
            pytest.fail(f"CI=true and the OIDC browser test {missing}")
        pytest.skip(f"OIDC browser test {missing}")

    def make(providers: dict[str, list[dict]]):
        answers = {f"oidc_{name}": name in providers for name in ("google", "generic")}
        answers |= {"oidc_microsoft": False, "oidc_okta": False, "oidc_auth0": False}
        baked = bake(**answers)
        mocks = {}
        for name, users in providers.items():
            mock = OidcProviderMock(users)
            request.addfinalizer(mock.stop)
            mocks[name] = mock.start()
        port = free_port()
        base_url = f"http://localhost:{port}/"
        add_oidc_secrets(
            baked.project_dir,
            f"{base_url}oauth2callback",
            {name: mock.metadata_url for name, mock in mocks.items()},
        )
        server = StreamlitServer(baked.project_dir, port=port)
        request.addfinalizer(server.stop)
        server.start()
        request.addfinalizer(lambda: print(f"--- streamlit log ---\n{server.log()}"))
        return baked, base_url

    return make


def manage(baked, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=baked.project_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def guests_by_source(baked) -> dict[str, dict]:
    """Guests by provider: their usernames are "<provider>-<digest of the subject>"."""
    records = json.loads(manage(baked, "list-users", "--json"))
    found = {}
    for record in records:
        provider, dash, _ = record["username"].partition("-")
        if dash and provider in LABELS:
            found[provider] = record
    return found


def sign_in_with_provider(page, base_url: str, provider: str, sub: str) -> None:
    """From the app's sign-in page through the provider's authorize form and back."""
    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_role("button", name=f"Sign in with {LABELS[provider]}").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=sub, exact=True).click()


def expect_guest_home(page, name: str) -> None:
    from playwright.sync_api import expect

    expect(home_heading(page, name)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Your roles: viewer")).to_be_visible()
    assert "ticket" not in page.url
    # No admin pages in the menu (an iframe component) for a guest.
    menu = page.frame_locator("iframe").first
    expect(menu.get_by_text("Account")).to_be_visible()
    expect(menu.get_by_text("Users")).to_have_count(0)


def expect_signed_out_via_provider(page) -> None:
    """st.logout() went through the provider's end-session page, then back to the app."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="End Session")).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("textbox", name="Username or email")).to_be_visible()


def interact(page) -> None:
    """Any widget interaction reruns the script: open the Account page from the menu."""
    page.frame_locator("iframe").first.get_by_text("Account").click()


def new_page(chromium):
    context = chromium.new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context, context.new_page()


def test_guest_signs_in_stays_signed_in_is_disabled_signed_out_and_refused(oidc_app, chromium):
    from playwright.sync_api import expect

    baked, base_url = oidc_app({"generic": [guest("gina", "Gina Guest")]})
    context, page = new_page(chromium)
    try:
        sign_in_with_provider(page, base_url, "generic", "gina")
        expect_guest_home(page, "Gina Guest")
        [record] = guests_by_source(baked).values()
        assert record["roles"] == ["viewer"]
        assert record["email"] == "gina@guests.example"

        page.reload()
        expect_guest_home(page, "Gina Guest")

        # An admin disables the guest (from another process: the CLI).
        manage(baked, "disable", record["username"])

        # The guest's next interaction signs them out, at the provider too.
        interact(page)
        expect_signed_out_via_provider(page)
        expect(home_heading(page, "Gina Guest")).to_have_count(0)

        # A new sign-in through the provider is refused.
        sign_in_with_provider(page, base_url, "generic", "gina")
        expect(page.get_by_text(REFUSED)).to_be_visible()
        expect(home_heading(page, "Gina Guest")).to_have_count(0)
        page.get_by_role("button", name="Back to sign-in").click()
        expect(page.get_by_role("heading", name="End Session")).to_be_visible()
    finally:
        context.close()


def test_two_providers_side_by_side_keep_their_guests_apart(oidc_app, chromium):
    """The same subject at two providers is two guests; disabling one leaves the other."""
    from playwright.sync_api import expect

    baked, base_url = oidc_app(
        {
            "google": [guest("sam", "Sam Google", "gmail.example")],
            # Another email: one verified email cannot belong to two accounts.
            "generic": [guest("sam", "Sam Generic", "corp.example")],
        }
    )
    context_a, page_a = new_page(chromium)
    context_b, page_b = new_page(chromium)
    try:
        sign_in_with_provider(page_a, base_url, "google", "sam")
        expect_guest_home(page_a, "Sam Google")
        sign_in_with_provider(page_b, base_url, "generic", "sam")
        expect_guest_home(page_b, "Sam Generic")

        guests = guests_by_source(baked)
        assert set(guests) == {"google", "generic"}
        assert guests["google"]["username"] != guests["generic"]["username"]

        manage(baked, "disable", guests["google"]["username"])
        interact(page_a)
        expect_signed_out_via_provider(page_a)

        interact(page_b)
        expect(page_b.get_by_role("heading", name="Account", exact=True)).to_be_visible()
        page_b.reload()
        expect(page_b.get_by_role("heading", name="Account", exact=True)).to_be_visible()

        sign_in_with_provider(page_a, base_url, "google", "sam")
        expect(page_a.get_by_text(REFUSED)).to_be_visible()
    finally:
        context_a.close()
        context_b.close()
