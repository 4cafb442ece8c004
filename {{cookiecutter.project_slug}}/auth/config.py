"""Settings: policies from `settings.toml` (committed), secrets from `.streamlit/secrets.toml`.

`load_settings()` refuses to start on a missing, placeholder or short secret,
with a message that says which key to fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_DIR / "settings.toml"
MIN_SECRET_BYTES = 32
# The forms our example files use; matched at the start only, so that a real
# random secret can never be mistaken for one.
PLACEHOLDER_PREFIXES = ("replace-", "change-me", "changeme", "your-secret", "<")


class ConfigError(Exception):
    """A setting or secret is missing or unusable; the message names the key."""


@dataclass(frozen=True)
class BootstrapAdmin:
    username: str
    email: str
    password_hash: str


@dataclass(frozen=True)
class Settings:
    cookie_secret: str
    pepper: str
    app_name: str = "Streamlit app"
    roles: tuple[str, ...] = ("admin", "editor", "viewer")
    session_lifetime: timedelta = timedelta(days=7)
    idle_timeout: timedelta = timedelta(hours=24)
    single_session: bool = False
    max_concurrent_users: int = 0  # 0: no limit
    max_failed_attempts: int = 5
    lockout: timedelta = timedelta(minutes=15)
    min_password_length: int = 12
    bcrypt_rounds: int = 12
    sqlite_path: Path = field(default_factory=lambda: PROJECT_DIR / "data" / "users.db")
    bootstrap_admin: BootstrapAdmin | None = None
    # --- guests (OpenID Connect sign-in, [guests] in settings.toml) ---
    oidc_providers: tuple[str, ...] = ()  # chosen at generation; set up in secrets [auth.NAME]
    guest_roles: tuple[str, ...] = ()
    guest_email_domains: tuple[str, ...] = ()  # empty: any domain


def _secret(secrets: Mapping[str, Any], section: str, key: str) -> str:
    value = (secrets.get(section) or {}).get(key)
    where = f"[{section}] {key} in .streamlit/secrets.toml"
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} is missing")
    if value.lower().startswith(PLACEHOLDER_PREFIXES):
        raise ConfigError(f"{where} is a placeholder; generate one with: python manage.py secret")
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"{where} is shorter than {MIN_SECRET_BYTES} bytes")
    return value


def _number(table: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"settings.toml: {key} must be a whole number from {low} to {high}")
    return value


# --- guests (OpenID Connect sign-in) ---
OIDC_PROVIDERS = ("google", "microsoft", "okta", "auth0", "generic")


def _text_list(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"settings.toml: [guests] {key} must be a list of non-empty strings")
    return tuple(dict.fromkeys(v.strip().lower() for v in value))


def _guest_settings(guests: Mapping[str, Any], roles: tuple[str, ...]) -> dict[str, Any]:
    providers = _text_list(guests, "providers")
    unknown = [p for p in providers if p not in OIDC_PROVIDERS]
    if unknown:
        raise ConfigError(
            f"settings.toml: [guests] providers: unknown {unknown}; use {list(OIDC_PROVIDERS)}"
        )
    guest_roles = _text_list(guests, "roles")
    if "admin" in guest_roles:
        # Anyone with an account at the provider would become an admin.
        raise ConfigError("settings.toml: [guests] roles must not include admin")
    undefined = [r for r in guest_roles if r not in roles]
    if undefined:
        raise ConfigError(f"settings.toml: [guests] roles {undefined} are not in [roles]")
    domains = tuple(d.lstrip("@") for d in _text_list(guests, "allowed_email_domains"))
    return {"oidc_providers": providers, "guest_roles": guest_roles, "guest_email_domains": domains}


def load_settings(secrets: Mapping[str, Any], settings_file: Path = SETTINGS_FILE) -> Settings:
    """Build Settings from the settings file and a secrets mapping (e.g. st.secrets)."""
    try:
        raw = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{settings_file.name} is not valid TOML: {exc}") from exc

    app, sessions = raw.get("app", {}), raw.get("sessions", {})
    login, passwords = raw.get("login", {}), raw.get("passwords", {})
    roles = tuple(raw.get("roles", {}).get("available", ("admin", "editor", "viewer")))
    if "admin" not in roles:
        roles = ("admin", *roles)

    sqlite_path = Path(raw.get("storage", {}).get("sqlite_path", "data/users.db"))
    if not sqlite_path.is_absolute():
        sqlite_path = settings_file.parent / sqlite_path

    bootstrap = None
    if secrets.get("bootstrap_admin"):
        section = secrets["bootstrap_admin"]
        try:
            bootstrap = BootstrapAdmin(
                str(section["username"]), str(section["email"]), str(section["password_hash"])
            )
        except KeyError as exc:
            raise ConfigError(f"[bootstrap_admin] {exc.args[0]} is missing in secrets") from exc

    return Settings(
        cookie_secret=_secret(secrets, "auth", "cookie_secret"),
        pepper=_secret(secrets, "passwords", "pepper"),
        app_name=str(app.get("name", "Streamlit app")),
        roles=roles,
        session_lifetime=timedelta(days=_number(sessions, "lifetime_days", 7, 1, 30)),
        idle_timeout=timedelta(hours=_number(sessions, "idle_timeout_hours", 24, 1, 24 * 365)),
        single_session=bool(sessions.get("single_session", False)),
        max_concurrent_users=_number(sessions, "max_concurrent_users", 0, 0, 1_000_000),
        max_failed_attempts=_number(login, "max_failed_attempts", 5, 1, 100),
        lockout=timedelta(minutes=_number(login, "lockout_minutes", 15, 1, 24 * 60)),
        min_password_length=_number(passwords, "min_length", 12, 8, 128),
        bcrypt_rounds=_number(passwords, "bcrypt_rounds", 12, 4, 16),
        sqlite_path=sqlite_path,
        bootstrap_admin=bootstrap,
        **_guest_settings(raw.get("guests", {}), roles),
    )
