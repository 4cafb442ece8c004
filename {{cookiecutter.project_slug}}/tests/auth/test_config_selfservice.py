"""Settings of the self-service flows: base URL, SMTP, recovery limits, registration, captcha."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from auth.config import CAPTCHA_KINDS, REGISTRATION_MODES, ConfigError, load_settings


def good_secrets(**extra):
    return {
        "auth": {"cookie_secret": secrets.token_urlsafe(48)},
        "passwords": {"pepper": secrets.token_urlsafe(48)},
        **extra,
    }


def load(tmp_path, text: str = "", **extra_secrets):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return load_settings(good_secrets(**extra_secrets), path)


def test_defaults(tmp_path):
    settings = load(tmp_path)
    assert settings.base_url == "http://localhost:8501"
    assert settings.smtp is None and not settings.email_verification_required
    assert settings.reset_link_lifetime == timedelta(hours=1)
    assert settings.registration == REGISTRATION_MODES[0]
    assert settings.default_roles == ()  # [option: registration=invite_only,open]
    assert settings.captcha == CAPTCHA_KINDS[0]
    assert settings.emails_per_account_per_hour == 3


def test_base_url_from_settings_or_secrets_without_trailing_slash(tmp_path):
    assert load(tmp_path, '[app]\nbase_url = "https://a.example.com/"').base_url == (
        "https://a.example.com"
    )
    settings = load(
        tmp_path,
        '[app]\nbase_url = "https://a.example.com"',
        app={"base_url": "https://b.example.com/x/"},
    )
    assert settings.base_url == "https://b.example.com/x"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "portal.example.com",
        "ftp://x.example.com",
        "https://x.io/?a=1",
        "https://x.io/#f",
        "javascript:alert(1)",
    ],
)
def test_a_bad_base_url_refuses_to_start(tmp_path, url):
    with pytest.raises(ConfigError, match="base_url"):
        load(tmp_path, f'[app]\nbase_url = "{url}"')


def test_smtp_from_secrets(tmp_path):
    smtp = {"host": "smtp.example.com", "from": "app@example.com", "username": "u", "password": "p"}
    settings = load(tmp_path, smtp=smtp)
    assert (settings.smtp.port, settings.smtp.security) == (587, "starttls")
    assert settings.email_verification_required
    smtp["security"] = "ssl"
    assert load(tmp_path, smtp=smtp).smtp.port == 465


@pytest.mark.parametrize(
    ("smtp", "message"),
    [
        ({"host": "smtp.example.com", "from": "app@example.com", "security": "tls"}, "security"),
        ({"host": "smtp.example.com", "from": "app@example.com", "security": "none"}, "local test"),
        ({"host": "smtp.example.com", "from": "nobody"}, "from"),
        ({"host": "smtp.example.com", "from": "a@b.c\nBcc: x@y.z"}, "from"),
        ({"host": "smtp.example.com", "from": "a@b.co", "port": 70000}, "port"),
    ],
)
def test_bad_smtp_settings_refuse_to_start(tmp_path, smtp, message):
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, smtp=smtp)


# [option: registration=invite_only,open]
def test_registration_settings(tmp_path):
    settings = load(
        tmp_path,
        '[registration]\nmode = "open"\ndomains = ["Example.com", "@corp.example"]\n'
        'default_roles = ["viewer"]\nrequire_email_verification = false\n',
    )
    assert settings.registration == "open"
    assert settings.registration_domains == ("example.com", "corp.example")
    assert settings.default_roles == ("viewer",)
    assert not settings.require_email_verification


# [end option: registration=invite_only,open]
def test_options_this_project_was_generated_without_refuse_to_start(tmp_path):
    """Registration modes and captcha kinds need code the generator kept only for those chosen."""
    for mode in {"invite_only", "open", "disabled"} - set(REGISTRATION_MODES):
        with pytest.raises(ConfigError, match=r"\[registration\] mode must be one of"):
            load(tmp_path, f'[registration]\nmode = "{mode}"')
    for kind in {"image", "none"} - set(CAPTCHA_KINDS):
        with pytest.raises(ConfigError, match=r"\[captcha\] kind must be one of"):
            load(tmp_path, f'[captcha]\nkind = "{kind}"')
    for mode in REGISTRATION_MODES:
        assert load(tmp_path, f'[registration]\nmode = "{mode}"').registration == mode
    for kind in CAPTCHA_KINDS:
        assert load(tmp_path, f'[captcha]\nkind = "{kind}"').captcha == kind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[registration]\nmode = "everyone"', "mode"),
        # [option: registration=invite_only,open]
        ('[registration]\ndefault_roles = ["admin"]', "admin"),
        ('[registration]\ndefault_roles = ["wizard"]', "unknown roles"),
        # [end option: registration=invite_only,open]
        ('[captcha]\nkind = "audio"', "kind"),
        ("[recovery]\nreset_link_minutes = 0", "reset_link_minutes"),
    ],
)
def test_bad_self_service_settings_refuse_to_start(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, text)
