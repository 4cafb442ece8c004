"""The streamlit-authenticator (0.4.x) config format: read it into neutral records, write it back.

The YAML store keeps its users in such a file, and `manage.py import-stauth` /
`export-stauth` move users between it and any backend, so the format lives here
once. The shape, as streamlit-authenticator documents it::

    cookie: {expiry_days: 30, key: ..., name: ...}
    credentials:
      usernames:
        jsmith:                       # streamlit-authenticator matches it lower-cased
          email: jsmith@example.com
          first_name: John            # 0.3 and older: one `name`
          last_name: Smith
          password: $2b$12$...        # or plain text: "will be hashed automatically"
          roles: [admin, viewer]      # optional
          failed_login_attempts: 0
          logged_in: false
    pre-authorized:
      emails: [new.person@example.com]

Other sections (`oauth2`, `api_key`, ...) and other keys in a user's entry are
kept untouched by the YAML store. Only PyYAML's safe loader and dumper are used
(the C versions when PyYAML has them: same rules, many times faster), so a file
can never make Python build objects. Every problem is a `FormatError` that
names the place in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PREAUTHORIZED = "pre-authorized"  # 0.4.x; 0.3.x and older call it "preauthorized"
OLD_PREAUTHORIZED = "preauthorized"
# Refuse absurd files before parsing: a user store of this size is far past the
# limit the README gives for the YAML backend anyway.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_TEXT_CHARS = 1024
MAX_DEPTH = 32  # our files nest 5 levels; a config has no reason to nest deeper

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# The hash forms auth.domain.passwords can verify. Anything else in `password` is plain text.
_HASH_RES = (
    re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"),
    re.compile(r"bcrypt_hmac\$\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"),
    re.compile(r"pbkdf2_sha256\$\d{1,9}\$[^$]{1,128}\$[A-Za-z0-9+/=]{1,128}"),
)


class FormatError(ValueError):
    """The file is not a usable streamlit-authenticator config; the message says where."""


@dataclass(frozen=True)
class StauthUser:
    """One entry of `credentials.usernames`, as the file has it."""

    username: str  # the key, case as written
    email: str
    first_name: str
    last_name: str
    password: str | None  # a hash, plain text, or None (no password)
    roles: tuple[str, ...]
    failed_login_attempts: int = 0
    logged_in: bool = False

    @property
    def has_plain_password(self) -> bool:
        return self.password is not None and not is_hash(self.password)


@dataclass(frozen=True)
class StauthConfig:
    users: tuple[StauthUser, ...]
    preauthorized: tuple[str, ...]  # emails, case as written


def is_hash(password: str) -> bool:
    """True for a password hash we can verify (plain bcrypt, peppered bcrypt, PBKDF2)."""
    return any(pattern.fullmatch(password) for pattern in _HASH_RES)


# --- reading -------------------------------------------------------------------


def _check_depth(text: str, where: str) -> None:
    """Refuse deep nesting before building anything.

    The C loader builds nested values recursively and crashes the process
    (segmentation fault) on a few thousand levels; its event parser does not
    recurse, so one cheap pass over the events can stop such a file first.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise FormatError(f"{where} is nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_text(text: str, where: str = "the file") -> dict[str, Any]:
    """Parse YAML text with the safe loader; an empty file is an empty mapping."""
    try:
        _check_depth(text, where)
        data = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - the (C) safe loader
    except yaml.YAMLError as exc:
        raise FormatError(f"{where} is not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise FormatError(f"{where} is nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FormatError(f"{where} must hold a mapping at the top, not {_kind(data)}")
    return data


def read_file(path: Path) -> dict[str, Any]:
    """Read and parse a YAML file (UTF-8); FormatError for anything unusable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except IsADirectoryError:
        raise FormatError(f"{path} is a folder, not a file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{path.name} is not UTF-8 text") from None
    return load_text(text, path.name)


def parse(data: Mapping[str, Any]) -> StauthConfig:
    """Validate a parsed config and return its users and pre-authorized emails.

    Usernames and emails must be unique ignoring case (streamlit-authenticator
    lower-cases the login); an empty email is allowed (an OpenID guest).
    """
    credentials = data.get("credentials")
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, dict):
        raise FormatError("credentials must be a mapping")
    entries = credentials.get("usernames")
    if entries is None:
        entries = {}
    if not isinstance(entries, dict):
        raise FormatError("credentials.usernames must be a mapping of username to details")

    users: list[StauthUser] = []
    names: dict[str, str] = {}
    emails: dict[str, str] = {}
    for key, entry in entries.items():
        user = _parse_user(key, entry)
        folded = user.username.casefold()
        if folded in names:
            raise FormatError(
                f"credentials.usernames: {names[folded]!r} and {user.username!r} "
                "differ only in case; keep one"
            )
        names[folded] = user.username
        email_key = user.email.casefold()
        if email_key:
            if email_key in emails:
                raise FormatError(
                    f"credentials.usernames: {emails[email_key]!r} and {user.username!r} "
                    f"share the email {user.email!r}"
                )
            emails[email_key] = user.username
        users.append(user)
    return StauthConfig(users=tuple(users), preauthorized=tuple(preauthorized_emails(data)))


def preauthorized_emails(data: Mapping[str, Any]) -> list[str]:
    """The pre-authorized emails, without repeats (ignoring case), in file order."""
    section_name = PREAUTHORIZED if PREAUTHORIZED in data else OLD_PREAUTHORIZED
    section = data.get(section_name)
    if section is None:
        return []
    # A bare list is accepted too, as some hand-written files have it.
    listed = section.get("emails") if isinstance(section, dict) else section
    if listed is None:
        return []
    if not isinstance(listed, list):
        raise FormatError(f"{section_name}.emails must be a list of emails")
    seen: dict[str, str] = {}
    for index, email in enumerate(listed):
        text = _text(email, f"{section_name}.emails[{index}]")
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


def _parse_user(key: object, entry: object) -> StauthUser:
    if not isinstance(key, str) or not key.strip():
        raise FormatError(f"credentials.usernames: {key!r} is not a usable username")
    where = f"credentials.usernames.{_short(key)}"
    if len(key) > MAX_TEXT_CHARS or not key.isprintable():
        raise FormatError(f"{where}: the username is too long or has control characters")
    if not isinstance(entry, dict):
        raise FormatError(f"{where} must be a mapping (email, password, ...)")
    first = _text(entry.get("first_name"), f"{where}.first_name")
    last = _text(entry.get("last_name"), f"{where}.last_name")
    if not first and not last:
        first = _text(entry.get("name"), f"{where}.name")  # the 0.3.x form
    password = entry.get("password")
    if password is not None:
        if isinstance(password, bool) or not isinstance(password, str | int | float):
            raise FormatError(f"{where}.password must be text")
        password = str(password) or None
    roles = entry.get("roles")
    if roles is None:
        roles = []
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list):
        raise FormatError(f"{where}.roles must be a list of role names")
    attempts = entry.get("failed_login_attempts") or 0
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
        raise FormatError(f"{where}.failed_login_attempts must be a whole number")
    return StauthUser(
        username=key,
        email=_text(entry.get("email"), f"{where}.email"),
        first_name=first,
        last_name=last,
        password=password,
        roles=tuple(
            dict.fromkeys(_text(r, f"{where}.roles[{i}]") for i, r in enumerate(roles) if r)
        ),
        failed_login_attempts=min(attempts, 10**9),
        logged_in=bool(entry.get("logged_in", False)),
    )


def _text(value: object, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FormatError(f"{where} must be text, not {_kind(value)}")
    text = str(value).strip()
    if len(text) > MAX_TEXT_CHARS:
        raise FormatError(f"{where} is longer than {MAX_TEXT_CHARS} characters")
    if not text.isprintable():
        raise FormatError(f"{where} contains control characters")
    return text


def _kind(value: object) -> str:
    kinds: dict[type, str] = {dict: "a mapping", list: "a list"}
    return kinds.get(type(value), type(value).__name__)


def _short(text: str, limit: int = 60) -> str:
    text = text if text.isprintable() else ascii(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


# --- writing -------------------------------------------------------------------


def user_entry(
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    roles: Iterable[str],
    failed_login_attempts: int = 0,
    logged_in: bool = False,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One `credentials.usernames` entry; keys of `base` we do not own are kept."""
    entry = dict(base or {})
    entry.update(
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        roles=list(roles),
        failed_login_attempts=failed_login_attempts,
        logged_in=bool(entry.get("logged_in", logged_in)),
    )
    if "name" in entry:  # a 0.3.x leftover would disagree after a change of name
        entry["name"] = f"{first_name} {last_name}".strip()
    return entry


def stauth_key(username: str) -> str:
    """The key streamlit-authenticator looks a username up by: lower case."""
    return username.lower()


def set_preauthorized(data: dict[str, Any], emails: Iterable[str]) -> None:
    """Replace the pre-authorized emails, keeping the section's other keys and its old name."""
    name = OLD_PREAUTHORIZED if OLD_PREAUTHORIZED in data and PREAUTHORIZED not in data else None
    name = name or PREAUTHORIZED
    section = data.get(name)
    emails = list(emails)
    if isinstance(section, dict):
        section["emails"] = emails
    else:
        data[name] = {"emails": emails}


def new_config(cookie_name: str, cookie_key: str) -> dict[str, Any]:
    """An empty config that streamlit-authenticator itself accepts."""
    return {
        "cookie": {"expiry_days": 30, "key": cookie_key, "name": cookie_name},
        "credentials": {"usernames": {}},
        PREAUTHORIZED: {"emails": []},
    }


def dump(data: Mapping[str, Any]) -> str:
    """YAML text with the safe dumper, keys in their order, readable Unicode."""
    return yaml.dump(  # noqa: S506 - the (C) safe dumper
        dict(data),
        Dumper=_SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )


def write_file(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write a config readable by its owner only (0600), whole or not at all.

    FileExistsError when `path` exists and `overwrite` is false.
    """
    if path.exists() and not overwrite:
        raise FileExistsError(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o600)  # whatever the umask
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if not overwrite:
            # Refuse a file that appeared meanwhile: link fails if the name exists.
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
