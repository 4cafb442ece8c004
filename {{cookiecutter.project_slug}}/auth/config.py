"""Settings: policies from `settings.toml` (committed), secrets from `.streamlit/secrets.toml`.

`load_settings()` refuses to start on a missing, placeholder or short secret,
with a message that says which key to fix.
"""

from __future__ import annotations

import os  # [option: storage=postgres]
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_DIR / "settings.toml"
TEXTS_DIR = PROJECT_DIR / "auth" / "texts"  # one module of texts per language (auth/texts)
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
class SmtpSettings:
    """`[smtp]` in secrets: where and how emails leave the app."""

    host: str
    port: int
    sender: str
    security: str = "starttls"  # one of SMTP_SECURITY
    username: str = ""
    password: str = ""
    timeout: float = 10.0


SMTP_SECURITY = ("starttls", "ssl", "none")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

# The values of the generation-time options this project has the code for (the
# generator removed the code of the others, and these lines with it); settings.toml
# names the one it was generated with. The first is the default.
STORAGE_BACKENDS = [
    "sqlite",  # [option: storage=sqlite,postgres]
    "yaml",  # [option: storage=yaml]
    "postgres",  # [option: storage=postgres]
]
REGISTRATION_MODES = [
    "invite_only",  # [option: registration=invite_only,open]
    "open",  # [option: registration=invite_only,open]
    "disabled",
]
CAPTCHA_KINDS = [
    "image",  # [option: captcha=image]
    "none",
]


@dataclass(frozen=True)
class Settings:
    cookie_secret: str
    pepper: str
    app_name: str = "Streamlit app"
    language: str = "en"  # the module of auth/texts the pages' texts come from
    roles: tuple[str, ...] = ("admin", "editor", "viewer")
    session_lifetime: timedelta = timedelta(days=7)
    idle_timeout: timedelta = timedelta(hours=24)
    single_session: bool = False
    max_concurrent_users: int = 0  # 0: no limit
    max_failed_attempts: int = 5
    lockout: timedelta = timedelta(minutes=15)
    min_password_length: int = 12
    bcrypt_rounds: int = 12
    bootstrap_admin: BootstrapAdmin | None = None
    # --- self-service: email, links, recovery, registration, captcha ---------
    base_url: str = "http://localhost:8501"  # links in emails start with it, never the Host header
    smtp: SmtpSettings | None = None  # None: emails are written to the server log instead
    reset_link_lifetime: timedelta = timedelta(minutes=60)
    verify_link_lifetime: timedelta = timedelta(hours=48)
    emails_per_account_per_hour: int = 3
    emails_per_address_per_hour: int = 10
    registration: str = REGISTRATION_MODES[0]
    # [option: registration=invite_only,open]
    registration_domains: tuple[str, ...] = ()  # open registration: allowed email domains
    default_roles: tuple[str, ...] = ()
    # [end option: registration=invite_only,open]
    require_email_verification: bool = True  # only when SMTP is configured
    captcha: str = CAPTCHA_KINDS[0]
    # --- admin console: audit log ---------------------------------------------
    audit_retention: timedelta = timedelta(days=365)  # older events are pruned daily

    @property
    def email_verification_required(self) -> bool:
        """New accounts confirm their email before signing in: asked for and possible."""
        return self.require_email_verification and self.smtp is not None

    # --- storage (settings.toml [storage]) ---
    storage_backend: str = STORAGE_BACKENDS[0]
    # [option: storage=sqlite,postgres]
    sqlite_path: Path = field(default_factory=lambda: PROJECT_DIR / "data" / "users.db")
    # [end option: storage=sqlite,postgres]
    # [option: storage=yaml]
    yaml_path: Path = field(default_factory=lambda: PROJECT_DIR / "data" / "config.yaml")
    # [end option: storage=yaml]
    # [option: storage=postgres]
    # From secrets or DATABASE_URL. Holds the database password: kept out of repr,
    # never printed (see storage_location).
    database_url: str | None = field(default=None, repr=False)
    # [end option: storage=postgres]
    # [option: guests=yes]
    # --- guests (OpenID Connect sign-in, [guests] in settings.toml) ---
    oidc_providers: tuple[str, ...] = ()  # chosen at generation; set up in secrets [auth.NAME]
    guest_roles: tuple[str, ...] = ()
    guest_email_domains: tuple[str, ...] = ()  # empty: any domain
    # [end option: guests=yes]

    @property
    def storage_location(self) -> str:
        """Where the users are stored, fit for messages (never a password)."""
        # [option: storage=sqlite,postgres]
        if self.storage_backend == "sqlite":
            return f"SQLite file {self.sqlite_path}"
        # [end option: storage=sqlite,postgres]
        # [option: storage=yaml]
        if self.storage_backend == "yaml":
            return f"YAML file {self.yaml_path}"
        # [end option: storage=yaml]
        # [option: storage=postgres]
        if self.storage_backend == "postgres":
            return f"PostgreSQL database {_describe_url(self.database_url)}"
        # [end option: storage=postgres]
        raise ConfigError(f"unknown storage backend {self.storage_backend!r}")


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


# [option: guests=yes]
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


# [end option: guests=yes]
def load_settings(
    secrets: Mapping[str, Any],
    settings_file: Path = SETTINGS_FILE,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings from the settings file, a secrets mapping (e.g. st.secrets) and the
    environment (default os.environ)."""
    raw = _read_settings(settings_file)
    app, sessions = raw.get("app", {}), raw.get("sessions", {})
    login, passwords = raw.get("login", {}), raw.get("passwords", {})
    roles = tuple(raw.get("roles", {}).get("available", ("admin", "editor", "viewer")))
    if "admin" not in roles:
        roles = ("admin", *roles)

    bootstrap = None
    if secrets.get("bootstrap_admin"):
        section = secrets["bootstrap_admin"]
        try:
            bootstrap = BootstrapAdmin(
                str(section["username"]), str(section["email"]), str(section["password_hash"])
            )
        except KeyError as exc:
            raise ConfigError(f"[bootstrap_admin] {exc.args[0]} is missing in secrets") from exc

    self_service = _self_service(raw, secrets, roles)
    return Settings(
        cookie_secret=_secret(secrets, "auth", "cookie_secret"),
        pepper=_secret(secrets, "passwords", "pepper"),
        app_name=str(app.get("name", "Streamlit app")),
        language=_language(app),
        roles=roles,
        session_lifetime=timedelta(days=_number(sessions, "lifetime_days", 7, 1, 30)),
        idle_timeout=timedelta(hours=_number(sessions, "idle_timeout_hours", 24, 1, 24 * 365)),
        single_session=bool(sessions.get("single_session", False)),
        max_concurrent_users=_number(sessions, "max_concurrent_users", 0, 0, 1_000_000),
        max_failed_attempts=_number(login, "max_failed_attempts", 5, 1, 100),
        lockout=timedelta(minutes=_number(login, "lockout_minutes", 15, 1, 24 * 60)),
        min_password_length=_number(passwords, "min_length", 12, 8, 128),
        bcrypt_rounds=_number(passwords, "bcrypt_rounds", 12, 4, 16),
        bootstrap_admin=bootstrap,
        **_guest_settings(raw.get("guests", {}), roles),  # [option: guests=yes]
        **self_service,
        **_admin(raw),
        **_storage(raw.get("storage", {}), settings_file.parent, secrets, environ),
    )


def _read_settings(settings_file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(settings_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{settings_file.name} is not valid TOML: {exc}") from exc


# --- the language of the pages: [app] language ------------------------------------------


def languages(folder: Path = TEXTS_DIR) -> list[str]:
    """The languages auth/texts has a module for ("en", ...)."""
    return sorted(path.stem for path in folder.glob("*.py") if path.stem != "__init__")


def _language(app: Mapping[str, Any]) -> str:
    value = app.get("language", "en")
    available = languages()
    if value not in available:
        raise ConfigError(
            f"settings.toml: [app] language must name a module in auth/texts: "
            f"one of {', '.join(available)}"
        )
    return str(value)


def configured_language(settings_file: Path = SETTINGS_FILE) -> str:
    """`[app] language` alone, for auth/texts: the texts are chosen before secrets are read."""
    return _language(_read_settings(settings_file).get("app", {}))


# --- admin console settings: [audit] ----------------------------------------------------


def _admin(raw: Mapping[str, Any]) -> dict[str, Any]:
    audit = raw.get("audit", {})
    return {"audit_retention": timedelta(days=_number(audit, "retention_days", 365, 1, 36500))}


# --- self-service settings: [app] base_url, [recovery], [registration], [captcha], [smtp] -----


def _choice(raw: Mapping[str, Any], section: str, key: str, allowed: list[str]) -> str:
    """`[section] key`: one of `allowed` (a generation-time option's values in this project,
    the first being the default)."""
    value: str = raw.get(section, {}).get(key, allowed[0])
    if value not in allowed:
        raise ConfigError(
            f"settings.toml: [{section}] {key} must be one of {', '.join(allowed)} "
            "(the others need code this project was generated without)"
        )
    return value


def _base_url(raw: Mapping[str, Any], secrets: Mapping[str, Any]) -> str:
    value = (secrets.get("app") or {}).get("base_url") or raw.get("app", {}).get(
        "base_url", "http://localhost:8501"
    )
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or any(ch.isspace() for ch in value)
    ):
        raise ConfigError(
            "[app] base_url must be the app's public address, like https://portal.example.com"
        )
    return str(value).rstrip("/")  # a str: checked above


def _smtp(secrets: Mapping[str, Any]) -> SmtpSettings | None:
    table = secrets.get("smtp") or {}
    if not table.get("host"):
        return None
    where = "[smtp] in .streamlit/secrets.toml"
    security = table.get("security", "starttls")
    if security not in SMTP_SECURITY:
        raise ConfigError(f"{where}: security must be one of {', '.join(SMTP_SECURITY)}")
    host = str(table["host"])
    if security == "none" and host not in LOOPBACK_HOSTS:
        # A password or a reset link must never cross a network in clear text.
        raise ConfigError(f'{where}: security = "none" is only allowed for a local test server')
    port = table.get("port", {"starttls": 587, "ssl": 465, "none": 25}[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}: port must be a whole number from 1 to 65535")
    sender = table.get("from", "")
    if not isinstance(sender, str) or "@" not in sender or any(ch in sender for ch in "\r\n"):
        raise ConfigError(f"{where}: from must be the sender's address, like app@example.com")
    timeout = table.get("timeout_seconds", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 120:
        raise ConfigError(f"{where}: timeout_seconds must be a number from 1 to 120")
    return SmtpSettings(
        host=host,
        port=port,
        sender=sender,
        security=security,
        username=str(table.get("username", "")),
        password=str(table.get("password", "")),
        timeout=float(timeout),
    )


def _self_service(
    raw: Mapping[str, Any], secrets: Mapping[str, Any], roles: tuple[str, ...]
) -> dict[str, Any]:
    recovery, registration = raw.get("recovery", {}), raw.get("registration", {})
    return {
        "base_url": _base_url(raw, secrets),
        "smtp": _smtp(secrets),
        "reset_link_lifetime": timedelta(
            minutes=_number(recovery, "reset_link_minutes", 60, 5, 24 * 60)
        ),
        "verify_link_lifetime": timedelta(
            hours=_number(recovery, "verify_link_hours", 48, 1, 24 * 14)
        ),
        "emails_per_account_per_hour": _number(recovery, "emails_per_account_per_hour", 3, 1, 100),
        "emails_per_address_per_hour": _number(
            recovery, "emails_per_address_per_hour", 10, 1, 10_000
        ),
        "registration": _choice(raw, "registration", "mode", REGISTRATION_MODES),
        **_self_registration(registration, roles),  # [option: registration=invite_only,open]
        "require_email_verification": bool(registration.get("require_email_verification", True)),
        "captcha": _choice(raw, "captcha", "kind", CAPTCHA_KINDS),
    }


# [option: registration=invite_only,open]
def _self_registration(registration: Mapping[str, Any], roles: tuple[str, ...]) -> dict[str, Any]:
    default_roles = tuple(registration.get("default_roles", ()))
    unknown = [r for r in default_roles if r not in roles]
    if unknown:
        raise ConfigError(f"settings.toml: default_roles has unknown roles: {', '.join(unknown)}")
    if "admin" in default_roles:
        raise ConfigError("settings.toml: default_roles must not give new accounts the admin role")
    domains = tuple(str(d).strip().lower().lstrip("@") for d in registration.get("domains", ()))
    return {"registration_domains": tuple(d for d in domains if d), "default_roles": default_roles}


# [end option: registration=invite_only,open]

# --- storage -------------------------------------------------------------------------


def _storage(
    table: Mapping[str, Any],
    folder: Path,
    secrets: Mapping[str, Any],
    environ: Mapping[str, str] | None,
) -> dict[str, Any]:
    backend = _choice({"storage": table}, "storage", "backend", STORAGE_BACKENDS)
    values: dict[str, Any] = {"storage_backend": backend}
    paths = [
        ("sqlite_path", "data/users.db"),  # [option: storage=sqlite,postgres]
        ("yaml_path", "data/config.yaml"),  # [option: storage=yaml]
    ]
    for key, default in paths:
        value = table.get(key, default)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"settings.toml: [storage] {key} must be a file path")
        path = Path(value)
        values[key] = path if path.is_absolute() else folder / path
    # [option: storage=postgres]
    if backend == "postgres":
        values["database_url"] = _database_url(secrets, os.environ if environ is None else environ)
    # [end option: storage=postgres]
    return values


# [option: storage=postgres]
SQL_SECRETS = "[connections.sql] in .streamlit/secrets.toml"
_URL_FIELDS = ("dialect", "host", "port", "database", "username", "password", "query")


def _database_url(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """The PostgreSQL URL: [connections.sql] in secrets (Streamlit's way), else DATABASE_URL.

    Error messages name the key, never the value: it may hold the password.
    """
    section = (secrets.get("connections") or {}).get("sql")
    if section is None:
        url = environ.get("DATABASE_URL", "")
        if not url:
            raise ConfigError(
                f"storage is PostgreSQL but neither {SQL_SECRETS} nor the DATABASE_URL "
                "environment variable is set; see README.md, section Storage"
            )
        return _checked_url(url, "the DATABASE_URL environment variable")
    if not isinstance(section, Mapping):
        raise ConfigError(f"{SQL_SECRETS} must be a table with url, or host, database, ...")
    if "url" in section:
        url = section["url"]
        if not isinstance(url, str) or not url:
            raise ConfigError(f"{SQL_SECRETS}: url must be a database URL")
        return _checked_url(url, f"{SQL_SECRETS}: url")
    return _url_from_fields(section)


def _url_from_fields(section: Mapping[str, Any]) -> str:
    from sqlalchemy.engine import URL

    unknown = set(section) - set(_URL_FIELDS)
    if unknown:
        raise ConfigError(f"{SQL_SECRETS}: unknown key {sorted(unknown)[0]}")
    for key in ("host", "database", "username"):
        if not isinstance(section.get(key), str) or not section[key]:
            raise ConfigError(f"{SQL_SECRETS}: {key} is missing")
    port = section.get("port", 5432)
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"{SQL_SECRETS}: port must be a number from 1 to 65535")
    password = section.get("password")
    if password is not None and not isinstance(password, str):
        raise ConfigError(f"{SQL_SECRETS}: password must be a string")
    query = section.get("query", {})
    if not isinstance(query, Mapping) or not all(isinstance(v, str) for v in query.values()):
        raise ConfigError(f'{SQL_SECRETS}: query must be a table of strings (sslmode = "require")')
    dialect = section.get("dialect", "postgresql")
    _check_dialect(dialect, f"{SQL_SECRETS}: dialect")
    url = URL.create(
        drivername=dialect,
        username=section["username"],
        password=password or None,
        host=section["host"],
        port=port,
        database=section["database"],
        query=dict(query),
    )
    rendered: str = url.render_as_string(hide_password=False)
    return rendered


def _checked_url(url: str, where: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # Not the URL in the message: it may hold the password.
        raise ConfigError(f"{where} is not a database URL (postgresql://user:pw@host/db)") from None
    _check_dialect(parsed.drivername, where)
    if not parsed.database:
        raise ConfigError(f"{where} names no database (postgresql://user:pw@host/DATABASE)")
    return url


def _check_dialect(dialect: object, where: str) -> None:
    backend = str(dialect).split("+")[0]
    if backend not in ("postgresql", "postgres"):
        raise ConfigError(f"{where} must be postgresql (storage is PostgreSQL)")


def _describe_url(url: str | None) -> str:
    """user@host:port/database of `url`, without the password."""
    if not url:
        return "(not configured)"
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.database} on {parsed.username or ''}@{parsed.host or 'localhost'}{port}"


# [end option: storage=postgres]
