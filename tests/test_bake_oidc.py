"""Guest sign-in providers chosen at generation: what each choice generates.

tests/test_combinations.py lints every combination and runs the generated
suite with no provider, with all of them, and with several in between.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import OPTIONS, load_hook

PROVIDERS = ("google", "microsoft", "okta", "auth0", "generic")
OIDC_CODE = ("auth/domain/oidc.py", "auth/web/oidc_ui.py")
OIDC_TESTS = (
    "tests/auth/domain/test_oidc.py",
    "tests/app_pages/test_login_oidc.py",
    "tests/auth/test_config_guests.py",
)
# The cheap options, so the suites below test OIDC and little else.
BASE = {"storage": "sqlite", "registration": "disabled", "captcha": "none"}

post = load_hook("post_gen_project")
OIDC_MENTION = re.compile(r"auth\.(domain\.oidc|web\.oidc_ui)\b|st\.login")


def answers_for(*chosen: str) -> dict[str, object]:
    return BASE | {f"oidc_{name}": name in chosen for name in PROVIDERS}


# --- the options table ------------------------------------------------------------------


def unchosen(*chosen: str) -> set[str]:
    values = post.chosen_values(answers_for(*chosen), OPTIONS)
    return set(post.unchosen_files(values, OPTIONS))


def test_without_providers_the_oidc_code_and_its_tests_are_removed():
    assert set(OIDC_CODE + OIDC_TESTS) <= unchosen()
    assert "auth/domain/login.py" not in unchosen()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_with_any_provider_the_oidc_code_stays(provider):
    assert not set(OIDC_CODE + OIDC_TESTS) & unchosen(provider)


# --- what a bake contains ------------------------------------------------------------------


def test_no_provider_generates_no_oidc_code_setting_section_or_dependency(bake):
    baked = bake(**answers_for())
    project = baked.project_dir
    assert not any((project / p).exists() for p in (*OIDC_CODE, *OIDC_TESTS))
    assert "guests" not in baked.settings()
    assert "authlib" not in (project / "requirements.txt").read_text().lower()
    example = baked.toml(".streamlit/secrets.toml.example")
    assert set(example["auth"]) == {"cookie_secret"}
    readme = (project / "README.md").read_text()
    assert "## Guest sign-in" not in readme and "oauth2callback" not in readme
    mentions = [
        path.relative_to(project).as_posix()
        for path in project.rglob("*.py")
        if OIDC_MENTION.search(path.read_text(encoding="utf-8"))
    ]
    assert mentions == []  # the sign-in page's guest block was stripped too


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_gets_its_settings_secrets_example_and_readme_section(bake, provider):
    baked = bake(**answers_for(provider))
    project = baked.project_dir
    assert all((project / p).exists() for p in (*OIDC_CODE, *OIDC_TESTS))
    guests = baked.settings()["guests"]
    assert guests == {"providers": [provider], "roles": ["viewer"], "allowed_email_domains": []}
    assert "Authlib>=" in (project / "requirements.txt").read_text()

    example = baked.toml(".streamlit/secrets.toml.example")["auth"]
    assert example["redirect_uri"] == "http://localhost:8501/oauth2callback"
    others = set(PROVIDERS) - {provider}
    assert provider in example and not others & set(example)
    section = example[provider]
    assert set(section) == {"client_id", "client_secret", "server_metadata_url"}
    assert section["client_id"].startswith("replace-")
    assert section["server_metadata_url"].endswith("/.well-known/openid-configuration")
    if provider == "microsoft":
        assert "login.microsoftonline.com/TENANT/v2.0/" in section["server_metadata_url"]

    readme = (project / "README.md").read_text()
    assert "## Guest sign-in with OpenID Connect" in readme
    assert "http://localhost:8501/oauth2callback" in readme
    assert "https://<your-app>.streamlit.app/oauth2callback" in readme
    headings = {line for line in readme.splitlines() if line.startswith("### ")}
    assert len(headings & {f"### {h}" for h in README_HEADINGS.values()}) == 1
    assert f"### {README_HEADINGS[provider]}" in headings

    # The generated secrets hold no provider: the sign-in page shows the admin hint.
    assert provider not in baked.secrets()["auth"]


README_HEADINGS = {
    "google": "Google",
    "microsoft": "Microsoft (Entra ID)",
    "okta": "Okta",
    "auth0": "Auth0",
    "generic": "Other OpenID provider (Keycloak, Authentik, ...)",
}


def test_guest_roles_fall_back_to_none_without_a_viewer_role(bake):
    baked = bake(**answers_for("google"), roles="editor")
    assert baked.settings()["guests"]["roles"] == []
