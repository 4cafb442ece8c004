import secrets
from datetime import timedelta

import pytest

from auth.config import SETTINGS_FILE, ConfigError, load_settings
from tests.conftest import PROJECT_DIR


@pytest.fixture
def settings_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("")
    return path


def good_secrets(**override):
    data = {
        "auth": {"cookie_secret": secrets.token_urlsafe(48)},
        "passwords": {"pepper": secrets.token_urlsafe(48)},
    }
    data.update(override)
    return data


def test_shipped_settings_file_loads_with_its_documented_defaults():
    if "{{" in SETTINGS_FILE.read_text():
        pytest.skip("template source, not a generated project: bake the template to run this")
    settings = load_settings(good_secrets())
    assert settings.roles[0] == "admin"
    assert settings.idle_timeout == timedelta(hours=24)
    assert settings.max_failed_attempts == 5 and settings.lockout == timedelta(minutes=15)
    assert settings.min_password_length == 12 and settings.bcrypt_rounds == 12
    assert settings.sqlite_path == PROJECT_DIR / "data" / "users.db"
    assert 1 <= settings.session_lifetime.days <= 30


@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("auth", "cookie_secret", None, "missing"),
        ("auth", "cookie_secret", "", "missing"),
        ("auth", "cookie_secret", "short", "shorter than 32 bytes"),
        ("auth", "cookie_secret", "replace-with-output-of-manage.py-secret", "placeholder"),
        ("passwords", "pepper", None, "missing"),
        ("passwords", "pepper", "y" * 31, "shorter than 32 bytes"),
        ("passwords", "pepper", "change-me" * 8, "placeholder"),
        ("passwords", "pepper", 12345, "missing"),
    ],
)
def test_missing_short_or_placeholder_secrets_refuse_to_start(
    section, key, value, message, settings_file
):
    data = good_secrets()
    if value is None:
        del data[section][key]
    else:
        data[section][key] = value
    with pytest.raises(ConfigError, match=message) as exc:
        load_settings(data, settings_file)
    assert f"[{section}] {key}" in str(exc.value)


def test_bootstrap_admin_is_read_from_secrets(settings_file):
    settings = load_settings(
        good_secrets(bootstrap_admin={"username": "boss", "email": "b@x.io", "password_hash": "h"}),
        settings_file,
    )
    assert settings.bootstrap_admin.username == "boss"
    with pytest.raises(ConfigError, match="password_hash"):
        load_settings(
            good_secrets(bootstrap_admin={"username": "boss", "email": "b@x.io"}), settings_file
        )


def test_settings_file_values_are_checked(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[roles]\navailable = ["editor"]\n[storage]\nsqlite_path = "db/u.db"\n')
    settings = load_settings(good_secrets(), path)
    assert settings.roles == ("admin", "editor")  # admin is always there
    assert settings.sqlite_path == tmp_path / "db" / "u.db"
    for bad in (
        "[sessions]\nlifetime_days = 0",
        "[sessions]\nlifetime_days = 31",
        "[passwords]\nmin_length = 7",
        "[login]\nmax_failed_attempts = true",
        '[login]\nlockout_minutes = "15"',
    ):
        path.write_text(bad)
        with pytest.raises(ConfigError, match="settings.toml"):
            load_settings(good_secrets(), path)
    path.write_text("not = [valid")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(good_secrets(), path)
