"""[guests] in settings.toml: providers chosen at generation, guest roles, email domains."""

from __future__ import annotations

import pytest

from auth.config import SETTINGS_FILE, ConfigError, load_settings
from tests.auth.test_config import good_secrets


def load(tmp_path, text: str):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(good_secrets(), path)


def test_no_guests_section_means_no_providers(tmp_path):
    settings = load(tmp_path, "")
    assert settings.oidc_providers == () and settings.guest_roles == ()
    assert settings.guest_email_domains == ()


def test_guests_section_is_read_and_normalised(tmp_path):
    settings = load(
        tmp_path,
        '[roles]\navailable = ["admin", "viewer"]\n'
        '[guests]\nproviders = ["google", "Generic", "google"]\nroles = ["viewer"]\n'
        'allowed_email_domains = ["Example.com", "@example.org"]\n',
    )
    assert settings.oidc_providers == ("google", "generic")
    assert settings.guest_roles == ("viewer",)
    assert settings.guest_email_domains == ("example.com", "example.org")


@pytest.mark.parametrize(
    "guests, message",
    [
        ('providers = ["github"]', "unknown"),
        ('providers = "google"', "list"),
        ('providers = [""]', "list"),
        ('roles = ["admin"]', "must not include admin"),
        ('roles = ["boss"]', "not in \\[roles\\]"),
        ("allowed_email_domains = [1]", "list"),
    ],
)
def test_bad_guests_settings_refuse_to_start(tmp_path, guests, message):
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, f"[guests]\n{guests}\n")


def test_shipped_guests_section_lists_the_providers_chosen_at_generation():
    """This project has guest sign-in (the generator keeps this file only then): settings.toml
    names at least one provider."""
    if "{{" in SETTINGS_FILE.read_text():
        pytest.skip("template source, not a generated project: bake the template to run this")
    environ: dict[str, str] = {}
    environ["DATABASE_URL"] = "postgresql://u@h/db"  # [option: storage=postgres]
    settings = load_settings(good_secrets(), environ=environ)
    assert settings.oidc_providers
    assert "admin" not in settings.guest_roles
