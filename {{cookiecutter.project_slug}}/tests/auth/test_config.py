import secrets
from datetime import timedelta

import pytest

from auth.config import SETTINGS_FILE, STORAGE_BACKENDS, ConfigError, load_settings
from tests.auth.store.backends import BACKENDS
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
    environ: dict[str, str] = {}
    environ["DATABASE_URL"] = "postgresql://u@h/db"  # [option: storage=postgres]
    settings = load_settings(good_secrets(), environ=environ)
    assert settings.roles[0] == "admin"
    assert settings.idle_timeout == timedelta(hours=24)
    assert settings.max_failed_attempts == 5 and settings.lockout == timedelta(minutes=15)
    assert settings.min_password_length == 12 and settings.bcrypt_rounds == 12
    # [option: storage=sqlite,postgres]
    assert settings.sqlite_path == PROJECT_DIR / "data" / "users.db"
    # [end option: storage=sqlite,postgres]
    # [option: storage=yaml]
    assert settings.yaml_path == PROJECT_DIR / "data" / "config.yaml"
    # [end option: storage=yaml]
    assert 1 <= settings.session_lifetime.days <= 30
    assert settings.storage_backend in BACKENDS  # the one chosen at generation is present


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
    path.write_text('[roles]\navailable = ["editor"]\n')
    settings = load_settings(good_secrets(), path)
    assert settings.roles == ("admin", "editor")  # admin is always there
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


# --- storage -----------------------------------------------------------------------------


def _storage(tmp_path, table: str, secrets_extra=None, environ=None):
    path = tmp_path / "settings.toml"
    path.write_text(f"[storage]\n{table}\n")
    return load_settings(good_secrets(**(secrets_extra or {})), path, environ=environ or {})


# [option: storage=sqlite,postgres]
def test_storage_defaults_to_sqlite_with_a_path_relative_to_the_settings_file(tmp_path):
    settings = _storage(tmp_path, 'sqlite_path = "users/u.db"')
    assert settings.storage_backend == "sqlite"
    assert settings.database_url is None  # [option: storage=postgres]
    assert settings.sqlite_path == tmp_path / "users" / "u.db"
    assert settings.storage_location == f"SQLite file {tmp_path / 'users' / 'u.db'}"
    assert _storage(tmp_path, "").sqlite_path == tmp_path / "data" / "users.db"
    with pytest.raises(ConfigError, match=r"\[storage\] sqlite_path"):
        _storage(tmp_path, "sqlite_path = 3")


# [end option: storage=sqlite,postgres]
# [option: storage=yaml]
def test_storage_defaults_to_yaml_with_a_path_relative_to_the_settings_file(tmp_path):
    settings = _storage(tmp_path, 'yaml_path = "users/config.yaml"')
    assert settings.storage_backend == "yaml"
    assert settings.yaml_path == tmp_path / "users" / "config.yaml"
    assert settings.storage_location == f"YAML file {tmp_path / 'users' / 'config.yaml'}"
    assert _storage(tmp_path, "").yaml_path == tmp_path / "data" / "config.yaml"
    with pytest.raises(ConfigError, match=r"\[storage\] yaml_path"):
        _storage(tmp_path, "yaml_path = 3")


# [end option: storage=yaml]
def test_a_backend_this_project_was_generated_without_is_refused(tmp_path):
    for backend in ["mongodb", *({"sqlite", "yaml", "postgres"} - set(STORAGE_BACKENDS))]:
        with pytest.raises(ConfigError, match=r"\[storage\] backend must be one of"):
            _storage(tmp_path, f'backend = "{backend}"')


# [option: storage=postgres]
PG_FIELDS = {
    "dialect": "postgresql",
    "host": "db.example.com",
    "port": 6543,
    "database": "portal",
    "username": "app",
    "password": "s3cret:/@pw",
    "query": {"sslmode": "require"},
}


def test_postgres_url_from_connections_sql_fields(tmp_path):
    settings = _storage(tmp_path, 'backend = "postgres"', {"connections": {"sql": PG_FIELDS}})
    assert settings.database_url == (
        "postgresql://app:s3cret%3A%2F%40pw@db.example.com:6543/portal?sslmode=require"
    )
    assert settings.storage_location == "PostgreSQL database portal on app@db.example.com:6543"
    assert "s3cret" not in repr(settings)


def test_postgres_url_from_secrets_wins_over_database_url(tmp_path):
    url = "postgresql://app:pw@from-secrets/portal"
    settings = _storage(
        tmp_path,
        'backend = "postgres"',
        {"connections": {"sql": {"url": url}}},
        environ={"DATABASE_URL": "postgresql://app:pw@from-env/portal"},
    )
    assert settings.database_url == url
    only_env = _storage(
        tmp_path, 'backend = "postgres"', environ={"DATABASE_URL": "postgres://a:b@env/db"}
    )
    assert only_env.database_url == "postgres://a:b@env/db"


@pytest.mark.parametrize(
    "sql, message",
    [
        (None, "neither .connections.sql. .* nor the DATABASE_URL"),
        ({"url": ""}, "url must be a database URL"),
        ({"url": "not a url with s3cret"}, "url is not a database URL"),
        ({"url": "mysql://u:s3cret@h/db"}, "must be postgresql"),
        ({"url": "postgresql://u:s3cret@h"}, "names no database"),
        ({**PG_FIELDS, "host": ""}, "host is missing"),
        ({k: v for k, v in PG_FIELDS.items() if k != "database"}, "database is missing"),
        ({**PG_FIELDS, "port": "many"}, "port must be a number"),
        ({**PG_FIELDS, "port": 70000}, "port must be a number"),
        ({**PG_FIELDS, "dialect": "sqlite"}, "dialect must be postgresql"),
        ({**PG_FIELDS, "query": {"sslmode": 1}}, "query must be a table of strings"),
        ({**PG_FIELDS, "pasword": "typo"}, "unknown key pasword"),
        ("postgresql://u:s3cret@h/db", "must be a table"),
    ],
)
def test_bad_postgres_settings_name_the_key_never_the_password(tmp_path, sql, message):
    extra = {} if sql is None else {"connections": {"sql": sql}}
    with pytest.raises(ConfigError, match=message) as exc:
        _storage(tmp_path, 'backend = "postgres"', extra)
    assert "s3cret" not in str(exc.value)


def test_a_bad_database_url_variable_is_named(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_URL environment variable is not") as exc:
        _storage(tmp_path, 'backend = "postgres"', environ={"DATABASE_URL": "::s3cret::"})
    assert "s3cret" not in str(exc.value)


# [end option: storage=postgres]
# [option: storage=yaml]
def test_a_backend_module_missing_from_the_project_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    from auth.store import open_store

    settings = _storage(tmp_path, 'backend = "yaml"')
    monkeypatch.setitem(sys.modules, "auth.store.yaml_store", None)  # as if deleted
    with pytest.raises(ConfigError, match='backend "yaml", but this project was generated without'):
        open_store(settings)


# [end option: storage=yaml]
