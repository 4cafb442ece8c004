"""YAML backend: a streamlit-authenticator config file, with our extra data beside it.

`YAMLStore(Path("config.yaml"))` keeps these files in that folder:

=========================  =====================================================================
``config.yaml``            the streamlit-authenticator (0.4.x) config itself: usernames (keys
                           in lower case, as it matches them), emails, names, password hashes,
                           roles, ``failed_login_attempts`` (as of the file's last write: the
                           live count is in the sidecar), the pre-authorized emails (our
                           unused invitations), ``cookie`` and any other section or key, kept.
                           A team can point the app at the file it already has.
``config.state.json``      what that schema has no place for, per user (id, the username's
                           case, disabled, must-change-password, email verified, failed
                           sign-ins, lock time, created / last sign-in times, guest provider)
                           plus OpenID identities and invitation details (expiry, who invited,
                           who used it).
``config.sessions.json``   short-lived records: sessions, sign-in tickets, emailed tokens,
                           flood-control counters. Every signed-in user touches their session
                           about once a minute; keeping these out of the users files keeps
                           that write small however many users there are.
``config.audit.jsonl``     the audit log, one JSON object per line, appended (a log grows
                           without bound: rewriting it per event would cost more and more).
``config.yaml.lock``       the lock file (filelock) every writer holds for its whole
                           read-modify-write.
=========================  =====================================================================

Why sidecars and not extra keys in the config: streamlit-authenticator and the
people who edit the file by hand keep working on a file whose schema we do not
change, and data that changes often is not rewritten with every user. Why
JSON for them: nobody edits them by hand, and PyYAML builds and writes
values in Python (even with its C parser), about twenty times slower than the
json module; measured, that decided how many users this backend can hold.
The price of several files is that one change can touch two of them; each
file is replaced atomically and `_commit` orders the writes so that a crash
in between leaves a safe state: never a revoked session that works again, at
worst an invitation or an unused id that is gone.

Writes: lock ``config.yaml.lock`` (locking the data file itself loses updates,
because `os.replace` swaps its inode), re-read what changed (the bytes are
compared, so an unchanged file is not parsed again), modify, write a temporary
file in the same folder, flush and fsync it, `os.replace` it over the old one,
fsync the folder. Reads take no lock: they use the data cached for the files'
identity (inode, mtime in ns, size); every file we write gets an mtime later
than the one it replaces, so an identity never comes back.

Plain-text passwords in the config (streamlit-authenticator hashes them "on
the fly"; people type them in) are hashed when the file is loaded and written
back at once. Hashing needs the pepper, which the store must not know about, so
the app passes `password_hasher` (see `auth.store.open_store`); a store opened
without one refuses such a file with a message rather than keep or guess.
Existing ``$2b$`` hashes are kept: auth.domain.passwords verifies them and upgrades
them at the next sign-in. A value the store itself wrote is recognised by its
fingerprint in the sidecar, so it is never mistaken for a typed password.

The config is read only with PyYAML's safe loader and written with its safe
dumper (see auth/store/stauth_format.py). Comments in it are not kept when the store
rewrites it (PyYAML drops them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

from filelock import FileLock

from auth.store import stauth_format
from auth.store.errors import (
    DuplicateIdentity,
    DuplicateUser,
    InvitationError,
    LastAdminError,
    StoreError,
    UserNotFound,
)
from auth.store.protocols import Store
from auth.store.records import (
    ADMIN_ROLE,
    LOCAL,
    AuditDayCount,
    AuditEvent,
    AuditQuery,
    Invitation,
    NewUser,
    Session,
    Ticket,
    Token,
    User,
    UserChanges,
    UserQuery,
)
from auth.store.stauth_format import FormatError

STATE_VERSION = 1
LOCK_TIMEOUT_SECONDS = 120  # a writer waits this long for the lock, then fails (TimeoutError)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CONFIG_FIELDS = frozenset({"email", "first_name", "last_name", "roles", "password_hash"})
_USER_FIELDS = (
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "roles",
    "password_hash",
    "disabled",
    "must_change_password",
    "failed_logins",
    "locked_until",
    "created_at",
    "last_login_at",
    "email_verified",
    "auth_source",
)


class StoreFileError(StoreError):
    """A store file cannot be used (malformed, hostile, damaged); nothing was changed."""


# --- values in files ---------------------------------------------------------


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
    return value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    value = _utc(value)
    return value.isoformat() if value is not None else None


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # a YAML timestamp typed by hand
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _required_time(value: object) -> datetime:
    """A time a record cannot do without: a missing one means a damaged file."""
    parsed = _time(value)
    if parsed is None:
        raise ValueError("a required time is missing")
    return parsed


def _fingerprint(text: str) -> str:
    """Short digest of a password value the store wrote (never of a typed password)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _key(text: str) -> str:
    return text.casefold()


def _active_admin(rec: dict[str, Any]) -> bool:
    return ADMIN_ROLE in rec["roles"] and not rec["disabled"]


def _keep_an_admin(users: _Users, leaving: dict[str, Any]) -> None:
    """Raise LastAdminError unless another active admin than `leaving` exists."""
    if not any(r is not leaving and _active_admin(r) for r in users.records.values()):
        raise LastAdminError()


def _to_user(rec: dict[str, Any]) -> User:
    return User(**{name: rec[name] for name in _USER_FIELDS})


# --- files -------------------------------------------------------------------

Identity = tuple[int, int, int] | None


def _identity(path: Path) -> Identity:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _digest(data: bytes | None) -> bytes | None:
    return None if data is None else hashlib.blake2b(data, digest_size=20).digest()


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: folders cannot be opened; os.replace is atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` so that a crash leaves the old or the new file, whole.

    The caller holds the store's lock, so one fixed temporary name is enough and
    a temporary file left by a killed writer is simply overwritten next time.
    The new file's mtime is made later than the old one's so that the cache
    identity (inode, mtime, size) of a version never repeats.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        old = path.stat()
        mode, previous_mtime = old.st_mode & 0o777, old.st_mtime_ns
    except FileNotFoundError:
        previous_mtime = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    stamp = max(time.time_ns(), previous_mtime + 1000)
    os.utime(tmp, ns=(stamp, stamp))
    os.replace(tmp, path)
    _fsync_folder(path.parent)


# --- the parsed files ----------------------------------------------------------

T = TypeVar("T")


def _loaded(part: T | None) -> T:
    """A part of the store that a write loaded before changing it."""
    if part is None:
        raise RuntimeError("a write changed a file it had not loaded")
    return part


@dataclass
class _Users:
    """config.yaml + config.state.json, parsed together (they describe the same users)."""

    config: dict[str, Any]  # the whole config as parsed: unknown sections stay
    records: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> the User fields
    entries: dict[int, dict[str, Any]] = field(
        default_factory=dict
    )  # id -> its config entry (extra keys)
    prints: dict[int, str] = field(default_factory=dict)  # id -> fingerprint of password written
    by_name: dict[str, int] = field(default_factory=dict)
    by_email: dict[str, int] = field(default_factory=dict)
    identities: dict[tuple[str, str], int] = field(default_factory=dict)
    invitations: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # email key -> Invitation fields
    next_id: int = 1


@dataclass
class _Live:
    """config.sessions.json."""

    sessions: dict[str, Session] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    counters: dict[tuple[str, datetime], list[Any]] = field(
        default_factory=dict
    )  # [expires, count]


@dataclass
class _Tx:
    """What a write changed: which files to write at commit."""

    config: bool = False
    state: bool = False
    live: bool = False

    @property
    def any(self) -> bool:
        return self.config or self.state or self.live


class YAMLStore(Store):
    def __init__(
        self,
        path: Path | str,
        *,
        password_hasher: Callable[[str], str] | None = None,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    ):
        # A symlinked config is followed: replacing the link itself would leave the
        # real file behind, unchanged. The sidecars go next to the real file.
        self.path = Path(os.path.realpath(path))
        stem = self.path.stem
        self.state_path = self.path.with_name(f"{stem}.state.json")
        self.live_path = self.path.with_name(f"{stem}.sessions.json")
        self.audit_path = self.path.with_name(f"{stem}.audit.jsonl")
        self.lock_path = self.path.with_name(f"{self.path.name}.lock")
        self.password_hasher = password_hasher
        self._file_lock = FileLock(
            str(self.lock_path), timeout=lock_timeout, preserve_lock_file=True
        )
        self._mutex = threading.RLock()  # threads of this process; the file lock is per process
        self._users: _Users | None = None
        self._users_seen: tuple[Identity, Identity] | None = None
        self._users_digest: tuple[bytes | None, bytes | None] | None = None
        self._live: _Live | None = None
        self._live_seen: Identity = None
        self._live_digest: bytes | None = None
        self._audit: list[AuditEvent] | None = None
        self._audit_seen: Identity = None

    # --- plumbing ---------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._mutex:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._file_lock:
                yield

    def _users_view(self) -> _Users:
        """The users, parsed again only if a file changed (caller holds `_mutex`)."""
        seen = (_identity(self.path), _identity(self.state_path))
        users = self._users
        if users is None or seen != self._users_seen:
            with self._locked():
                users = self._load_users(check_bytes=False)
        return users

    def _live_view(self) -> _Live:
        live = self._live
        if live is None or _identity(self.live_path) != self._live_seen:
            with self._locked():
                live = self._load_live(check_bytes=False)
        return live

    # The overloads say what `_read` and `_write` give for the parts named.
    @overload
    def _read(self, part: Literal["users"]) -> AbstractContextManager[_Users]: ...
    @overload
    def _read(self, part: Literal["live"]) -> AbstractContextManager[_Live]: ...
    @contextlib.contextmanager
    def _read(self, part: str) -> Iterator[Any]:
        with self._mutex:
            yield self._users_view() if part == "users" else self._live_view()

    @overload
    def _write(
        self, part: Literal["users"], /
    ) -> AbstractContextManager[tuple[_Tx, _Users, None]]: ...
    @overload
    def _write(
        self, part: Literal["live"], /
    ) -> AbstractContextManager[tuple[_Tx, None, _Live]]: ...
    @overload
    def _write(
        self, part: Literal["users"], other: Literal["live"], /
    ) -> AbstractContextManager[tuple[_Tx, _Users, _Live]]: ...
    @contextlib.contextmanager
    def _write(self, *parts: str) -> Iterator[tuple[_Tx, Any, Any]]:
        """Lock, re-read what changed, let the caller modify, then write what it changed."""
        with self._locked():
            users = self._load_users(check_bytes=True) if "users" in parts else None
            live = self._load_live(check_bytes=True) if "live" in parts else None
            tx = _Tx()
            try:
                yield tx, users, live
            except BaseException:
                if tx.any:  # a change was half made in memory: drop it, the files are intact
                    self._forget()
                raise
            if tx.any:
                self._commit(tx)

    def _forget(self) -> None:
        self._users = self._live = None
        self._users_seen = self._users_digest = None
        self._live_seen = self._live_digest = None

    def _commit(self, tx: _Tx) -> None:
        """Write the changed files. Order: sessions, sidecar, config.

        A crash between two of them leaves each file whole, and this order keeps
        the in-between safe: sessions are revoked or deleted before the user
        changes; a new user's sidecar record exists before the user does (an
        orphan record is ignored on load); a deleted user's record goes before
        the user (a user without a record gets a fresh id: old sessions and
        links cannot point at it).
        """
        try:
            if tx.live:
                data = _dump_json(_render_live(_loaded(self._live)))
                write_atomically(self.live_path, data)
                self._live_seen, self._live_digest = _identity(self.live_path), _digest(data)
            if tx.state or tx.config:
                state = config = None
                if tx.state:
                    state = _dump_json(_render_state(_loaded(self._users)))
                    write_atomically(self.state_path, state)
                if tx.config:
                    config = stauth_format.dump(_render_config(_loaded(self._users))).encode(
                        "utf-8"
                    )
                    write_atomically(self.path, config)
                old = self._users_digest or (None, None)
                self._users_digest = (
                    _digest(config) if config is not None else old[0],
                    _digest(state) if state is not None else old[1],
                )
                self._users_seen = (_identity(self.path), _identity(self.state_path))
        except BaseException:
            self._forget()
            raise

    # --- loading ----------------------------------------------------------------
    def _load_users(self, *, check_bytes: bool) -> _Users:
        """Parse config + sidecar unless unchanged; hash typed passwords and write back."""
        seen = (_identity(self.path), _identity(self.state_path))
        if self._users is not None and seen == self._users_seen and not check_bytes:
            return self._users
        config_bytes, state_bytes = _read_bytes(self.path), _read_bytes(self.state_path)
        digest = (_digest(config_bytes), _digest(state_bytes))
        if self._users is not None and digest == self._users_digest:
            self._users_seen = seen
            return self._users
        try:
            users, tx = self._parse_users(config_bytes, state_bytes)
        except FormatError as exc:
            self._forget()
            raise StoreFileError(f"{exc} (in {self.path.parent}); nothing was changed") from None
        self._users, self._users_seen, self._users_digest = users, seen, digest
        if tx.any:
            self._commit(tx)
        return self._users

    def _parse_users(
        self, config_bytes: bytes | None, state_bytes: bytes | None
    ) -> tuple[_Users, _Tx]:
        config = _parse_yaml(config_bytes, self.path.name)
        try:
            parsed = stauth_format.parse(config)
        except FormatError as exc:
            raise FormatError(f"{self.path.name}: {exc}") from None
        state = _parse_json(state_bytes, self.state_path.name)
        now = datetime.now(UTC)
        tx = _Tx()
        try:
            meta_by_key = dict(state.get("users") or {})
            users = _Users(config=config, next_id=int(state.get("next_id") or 1))
            # Ids the sidecar gives, first: a user added by hand gets a new one after them.
            metas: list[dict[str, Any]] = []
            taken: set[int] = set()
            for item in parsed.users:
                meta = meta_by_key.get(_key(item.username))
                if meta is None:  # added by hand: a fresh start
                    metas.append({})
                    continue
                # A damaged record is an error, not a fresh start: it may say "disabled".
                user_id = meta["id"]
                if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 1:
                    raise ValueError(f"user {item.username!r} has no valid id")
                if user_id in taken:
                    raise ValueError(f"two users have the id {user_id}")
                taken.add(user_id)
                metas.append(meta)
            users.next_id = max(users.next_id, max(taken, default=0) + 1)
            plain: list[str] = []
            for item, meta in zip(parsed.users, metas, strict=True):
                key = _key(item.username)
                password = item.password
                if password is not None and item.has_plain_password:
                    if meta.get("pw") == _fingerprint(password):
                        pass  # the store wrote this value itself
                    elif self.password_hasher is None:
                        plain.append(item.username)
                        continue  # reported below, before anything is written
                    else:
                        password = self.password_hasher(password)
                        tx.config = tx.state = True
                user_id = meta.get("id")
                if user_id is None:
                    user_id = users.next_id
                    users.next_id += 1
                    tx.state = True
                shown = meta.get("username")
                if not isinstance(shown, str) or _key(shown) != key:
                    shown = item.username
                rec = {
                    "id": user_id,
                    "username": shown,
                    "email": item.email,
                    "first_name": item.first_name,
                    "last_name": item.last_name,
                    "roles": tuple(sorted(item.roles)),
                    "password_hash": password,
                    "disabled": bool(meta.get("disabled", False)),
                    "must_change_password": bool(meta.get("must_change_password", False)),
                    # Counted in the sidecar (a failed sign-in must not rewrite the users
                    # file); the config's field shows the count as of its last write.
                    "failed_logins": int(meta.get("failed_logins", item.failed_login_attempts)),
                    "locked_until": _time(meta.get("locked_until")),
                    "created_at": _time(meta.get("created_at")) or now,
                    "last_login_at": _time(meta.get("last_login_at")),
                    "email_verified": bool(meta.get("email_verified", True)),
                    "auth_source": str(meta.get("auth_source") or LOCAL),
                }
                users.records[user_id] = rec
                users.entries[user_id] = config["credentials"]["usernames"][item.username]
                users.prints[user_id] = _fingerprint(password) if password is not None else ""
                users.by_name[key] = user_id
                if item.email:
                    users.by_email[_key(item.email)] = user_id
            if plain:
                raise FormatError(
                    f"{self.path.name} has plain-text passwords (users: {', '.join(plain[:10])}); "
                    "open it through the app or manage.py, which hash them"
                )
            for provider, subject, user_id in state.get("identities") or []:
                if user_id in users.records:
                    users.identities[(str(provider), str(subject))] = user_id
            users.invitations, changed = _merge_invitations(
                parsed.preauthorized, state.get("invitations") or {}, now
            )
            tx.state = tx.state or changed
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{self.state_path.name} is damaged ({exc})") from None
        return users, tx

    def _load_live(self, *, check_bytes: bool) -> _Live:
        seen = _identity(self.live_path)
        if self._live is not None and seen == self._live_seen and not check_bytes:
            return self._live
        data = _read_bytes(self.live_path)
        digest = _digest(data)
        if self._live is not None and digest == self._live_digest:
            self._live_seen = seen
            return self._live
        try:
            raw = _parse_json(data, self.live_path.name)
            live = _parse_live(raw)
        except FormatError as exc:
            self._forget()
            raise StoreFileError(f"{exc} (in {self.path.parent}); nothing was changed") from None
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            self._forget()
            raise StoreFileError(
                f"{self.live_path.name} is damaged ({exc}); nothing was changed"
            ) from None
        self._live, self._live_seen, self._live_digest = live, seen, digest
        return live

    # --- schema -----------------------------------------------------------------
    def create_schema(self) -> None:
        """Create an empty streamlit-authenticator config if there is none; check the files."""
        with self._locked():
            if not self.path.exists():
                config = stauth_format.new_config(
                    cookie_name=f"{self.path.stem}_auth", cookie_key=secrets.token_urlsafe(32)
                )
                write_atomically(self.path, stauth_format.dump(config).encode("utf-8"))
            self._load_users(check_bytes=True)
            self._load_live(check_bytes=True)
            self._load_audit()

    # --- users ------------------------------------------------------------------
    def create_user(self, new: NewUser, *, now: datetime) -> User:
        username, email, identity, invitation = (
            new.username,
            new.email,
            new.identity,
            new.invitation,
        )
        now = _utc(now)
        with self._write("users") as (tx, users, _):
            if _key(username) in users.by_name:
                raise DuplicateUser("username")
            if email and _key(email) in users.by_email:
                raise DuplicateUser("email")
            if identity is not None and tuple(identity) in users.identities:
                raise DuplicateIdentity(identity[0])
            if invitation is not None:
                offer = users.invitations.get(_key(invitation))
                if offer is None or not _invitation(offer).is_usable(now):
                    raise InvitationError(invitation)
            tx.config = tx.state = True
            user_id = users.next_id
            users.next_id += 1
            rec = {
                "id": user_id,
                "username": username,
                "email": email,
                "first_name": new.first_name,
                "last_name": new.last_name,
                "roles": tuple(sorted(set(new.roles))),
                "password_hash": new.password_hash,
                "disabled": False,
                "must_change_password": bool(new.must_change_password),
                "failed_logins": 0,
                "locked_until": None,
                "created_at": now,
                "last_login_at": None,
                "email_verified": bool(new.email_verified),
                "auth_source": new.auth_source,
            }
            users.records[user_id] = rec
            users.entries[user_id] = {}
            users.prints[user_id] = _fingerprint(new.password_hash) if new.password_hash else ""
            users.by_name[_key(username)] = user_id
            if email:
                users.by_email[_key(email)] = user_id
            if identity is not None:
                users.identities[(identity[0], identity[1])] = user_id
            if invitation is not None:
                offer = users.invitations[_key(invitation)]
                offer.update(used_at=now, used_by=username)
            return _to_user(rec)

    def get_user(self, user_id: int) -> User | None:
        with self._read("users") as users:
            rec = users.records.get(user_id)
            return _to_user(rec) if rec else None

    def find_user(self, login: str) -> User | None:
        key = _key(login)
        if not key:
            return None
        with self._read("users") as users:
            user_id = users.by_name.get(key) or users.by_email.get(key)
            return _to_user(users.records[user_id]) if user_id else None

    def find_user_by_identity(self, provider: str, subject: str) -> User | None:
        with self._read("users") as users:
            user_id = users.identities.get((provider, subject))
            return _to_user(users.records[user_id]) if user_id else None

    def link_identity(self, user_id: int, provider: str, subject: str) -> None:
        with self._write("users") as (tx, users, _):
            if user_id not in users.records:
                raise UserNotFound(user_id)
            if (provider, subject) in users.identities:
                raise DuplicateIdentity(provider)
            tx.state = True
            users.identities[(provider, subject)] = user_id

    def list_users(
        self, query: UserQuery | None = None, *, offset: int = 0, limit: int = 50
    ) -> list[User]:
        query = query or UserQuery()
        sort_key = _SORT_KEYS[query.sort]
        with self._read("users") as users:
            matching = [rec for rec in users.records.values() if _matches(rec, query)]
            matching.sort(key=lambda rec: (*sort_key(rec), rec["id"]), reverse=query.descending)
            return [_to_user(rec) for rec in matching[offset : offset + limit]]

    def count_users(self, query: UserQuery | None = None) -> int:
        with self._read("users") as users:
            if query is None:
                return len(users.records)
            return sum(1 for rec in users.records.values() if _matches(rec, query))

    def count_active_admins(self) -> int:
        with self._read("users") as users:
            return sum(1 for rec in users.records.values() if _active_admin(rec))

    def update_user(self, user_id: int, wanted: UserChanges, *, keep_an_admin: bool = True) -> User:
        changes: dict[str, Any] = wanted.values()
        if "roles" in changes:
            changes["roles"] = tuple(sorted(set(wanted.roles or ())))
        with self._write("users") as (tx, users, _):
            rec = users.records.get(user_id)
            if rec is None:
                raise UserNotFound(user_id)
            email = changes.get("email")
            if email:
                owner = users.by_email.get(_key(email))
                if owner is not None and owner != user_id:
                    raise DuplicateUser("email")
            after = {**rec, **changes}
            if keep_an_admin and _active_admin(rec) and not _active_admin(after):
                _keep_an_admin(users, rec)
            tx.config = bool(_CONFIG_FIELDS & set(changes))
            tx.state = bool(set(changes) - _CONFIG_FIELDS) or "password_hash" in changes
            if "email" in changes:
                if rec["email"]:
                    users.by_email.pop(_key(rec["email"]), None)
                if changes["email"]:
                    users.by_email[_key(changes["email"])] = user_id
            if "password_hash" in changes:
                new_hash = changes["password_hash"]
                users.prints[user_id] = _fingerprint(new_hash) if new_hash else ""
            rec.update(changes)
            return _to_user(rec)

    def delete_user(self, user_id: int, *, keep_an_admin: bool = True) -> None:
        with self._write("users", "live") as (tx, users, live):
            rec = users.records.get(user_id)
            if rec is None:
                raise UserNotFound(user_id)
            if keep_an_admin and _active_admin(rec):
                _keep_an_admin(users, rec)
            tx.config = tx.state = tx.live = True
            for table in (live.sessions, live.tickets, live.tokens):
                for record_id in [k for k, v in table.items() if v.user_id == user_id]:
                    del table[record_id]
            del users.records[user_id], users.entries[user_id], users.prints[user_id]
            users.by_name.pop(_key(rec["username"]), None)
            if rec["email"]:
                users.by_email.pop(_key(rec["email"]), None)
            for link in [k for k, v in users.identities.items() if v == user_id]:
                del users.identities[link]

    # --- sign-in counters ---------------------------------------------------------
    def record_login_failure(
        self, user_id: int, *, now: datetime, max_attempts: int, lockout_until: datetime
    ) -> User:
        lockout_until = _utc(lockout_until)
        with self._write("users") as (tx, users, _):
            rec = users.records.get(user_id)
            if rec is None:
                raise UserNotFound(user_id)
            tx.state = True
            rec["failed_logins"] += 1
            if rec["failed_logins"] >= max_attempts:
                rec["failed_logins"], rec["locked_until"] = 0, lockout_until
            return _to_user(rec)

    def record_login_success(self, user_id: int, *, now: datetime) -> None:
        now = _utc(now)
        with self._write("users") as (tx, users, _):
            rec = users.records.get(user_id)
            if rec is None:
                return
            tx.state = True
            rec.update(failed_logins=0, locked_until=None, last_login_at=now)

    def unlock_user(self, user_id: int) -> User:
        with self._write("users") as (tx, users, _):
            rec = users.records.get(user_id)
            if rec is None:
                raise UserNotFound(user_id)
            tx.state = rec["failed_logins"] != 0 or rec["locked_until"] is not None
            rec.update(failed_logins=0, locked_until=None)
            return _to_user(rec)

    def hit_counter(self, key: str, *, now: datetime, window: timedelta) -> int:
        seconds = int(window.total_seconds())
        if seconds < 1:
            raise ValueError("the window must be at least one second")
        elapsed = int((_utc(now) - _EPOCH).total_seconds())
        start = _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)
        with self._write("live") as (tx, _, live):
            tx.live = True
            slot = live.counters.setdefault((key, start), [start + window, 0])
            slot[1] += 1
            return int(slot[1])

    # --- invitations --------------------------------------------------------------
    def add_invitations(
        self,
        emails: Iterable[str],
        *,
        now: datetime,
        expires_at: datetime | None = None,
        invited_by: str = "",
    ) -> list[str]:
        now, expires_at = _utc(now), _utc(expires_at)
        emails = list(emails)
        added: list[str] = []
        with self._write("users") as (tx, users, _):
            for email in dict.fromkeys(emails):
                key = _key(email)
                if not key or key in {_key(e) for e in added}:
                    continue
                offer = users.invitations.get(key)
                if offer is None:
                    tx.state = tx.config = True
                    users.invitations[key] = {
                        "email": email,
                        "created_at": now,
                        "expires_at": expires_at,
                        "invited_by": invited_by,
                        "used_at": None,
                        "used_by": "",
                    }
                    added.append(email)
                elif offer["used_at"] is None:
                    tx.state = True
                    offer["expires_at"] = expires_at
        return added

    def get_invitation(self, email: str) -> Invitation | None:
        with self._read("users") as users:
            offer = users.invitations.get(_key(email))
            return _invitation(offer) if offer else None

    def list_invitations(self) -> list[Invitation]:
        with self._read("users") as users:
            return [_invitation(users.invitations[k]) for k in sorted(users.invitations)]

    def remove_invitation(self, email: str) -> bool:
        with self._write("users") as (tx, users, _):
            if _key(email) not in users.invitations:
                return False
            tx.state = tx.config = True
            del users.invitations[_key(email)]
            return True

    # --- emailed tokens -------------------------------------------------------------
    def add_token(self, token: Token) -> None:
        _utc(token.expires_at)
        with self._write("live") as (tx, _, live):
            tx.live = True
            live.tokens[token.id] = token

    def redeem_token(self, token_id: str, *, purpose: str, now: datetime) -> Token | None:
        now = _utc(now)
        with self._write("live") as (tx, _, live):
            token = live.tokens.get(token_id)
            if token is None or token.purpose != purpose:
                return None
            tx.live = True
            del live.tokens[token_id]
        return token if token.expires_at > now else None

    def delete_tokens(self, user_id: int, purpose: str | None = None) -> int:
        with self._write("live") as (tx, _, live):
            gone = [
                k
                for k, t in live.tokens.items()
                if t.user_id == user_id and (purpose is None or t.purpose == purpose)
            ]
            for token_id in gone:
                tx.live = True
                del live.tokens[token_id]
            return len(gone)

    # --- audit log ----------------------------------------------------------------
    def _load_audit(self) -> list[AuditEvent]:
        """The events, parsed again only when the log changed (caller holds `_mutex`)."""
        seen = _identity(self.audit_path)
        if self._audit is None or seen != self._audit_seen:
            self._audit = _parse_audit(_read_bytes(self.audit_path) or b"")
            self._audit_seen = seen
        return self._audit

    def add_audit(self, event: AuditEvent) -> None:
        values = {k: v for k, v in event.__dict__.items() if k != "id"}
        values["at"] = _iso(event.at)
        with self._locked():
            cached = self._audit is not None and _identity(self.audit_path) == self._audit_seen
            fd = os.open(self.audit_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                last_id = _drop_torn_tail_and_last_id(fd)
                values = {"id": last_id + 1, **values}
                os.write(fd, (json.dumps(values, ensure_ascii=False) + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            if cached and self._audit is not None:  # cached: it is not None
                self._audit.append(_audit_event(values))
                self._audit_seen = _identity(self.audit_path)

    def _audit_matching(self, query: AuditQuery | None) -> list[AuditEvent]:
        query = query or AuditQuery()
        return [e for e in self._load_audit() if _audit_matches(e, query)]

    def list_audit(
        self, query: AuditQuery | None = None, *, offset: int = 0, limit: int = 100
    ) -> list[AuditEvent]:
        with self._mutex:
            events = self._audit_matching(query)
        events.sort(key=lambda e: (e.at, e.id), reverse=True)
        return events[offset : offset + limit]

    def count_audit(self, query: AuditQuery | None = None) -> int:
        with self._mutex:
            return len(self._audit_matching(query))

    def audit_per_day(self, query: AuditQuery | None = None) -> list[AuditDayCount]:
        with self._mutex:
            events = self._audit_matching(query)
        groups: dict[tuple[date, str, str, str], list[Any]] = {}
        for e in events:
            group = groups.setdefault((e.at.date(), e.event, e.method, e.outcome), [0, set()])
            group[0] += 1
            group[1].add(e.target)
        return [
            AuditDayCount(
                day=day, event=ev, method=m, outcome=o, count=n, distinct_targets=len(targets)
            )
            for (day, ev, m, o), (n, targets) in sorted(groups.items())
        ]

    def prune_audit(self, *, before: datetime) -> int:
        before = _utc(before)
        with self._locked():
            self._audit = None
            events = self._load_audit()
            kept = [e for e in events if e.at >= before]
            if len(kept) == len(events):
                return 0
            lines = [json.dumps(_audit_values(e), ensure_ascii=False) + "\n" for e in kept]
            write_atomically(self.audit_path, "".join(lines).encode("utf-8"))
            self._audit, self._audit_seen = kept, _identity(self.audit_path)
            return len(events) - len(kept)

    # --- tickets ------------------------------------------------------------------
    def add_ticket(self, ticket: Ticket) -> None:
        _utc(ticket.expires_at)
        with self._write("live") as (tx, _, live):
            tx.live = True
            live.tickets[ticket.id] = ticket

    def redeem_ticket(self, ticket_id: str, *, now: datetime) -> Ticket | None:
        now = _utc(now)
        with self._write("live") as (tx, _, live):
            ticket = live.tickets.get(ticket_id)
            if ticket is None:
                return None
            tx.live = True
            del live.tickets[ticket_id]
        return ticket if ticket.expires_at > now else None

    # --- sessions -----------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        for moment in (session.created_at, session.last_seen_at, session.expires_at):
            _utc(moment)
        with self._write("live") as (tx, _, live):
            tx.live = True
            live.sessions[session.id] = session

    def get_session(self, session_id: str) -> Session | None:
        with self._read("live") as live:
            return live.sessions.get(session_id)

    def load_session(self, session_id: str) -> tuple[Session, User] | None:
        session = self.get_session(session_id)  # both served from memory, re-read if changed
        user = self.get_user(session.user_id) if session is not None else None
        return (session, user) if session is not None and user is not None else None

    def touch_session(self, session_id: str, *, now: datetime) -> None:
        now = _utc(now)
        with self._write("live") as (tx, _, live):
            session = live.sessions.get(session_id)
            if session is not None:
                tx.live = True
                live.sessions[session_id] = _replace(session, last_seen_at=now)

    def revoke_session(self, session_id: str, *, now: datetime) -> None:
        now = _utc(now)
        with self._write("live") as (tx, _, live):
            session = live.sessions.get(session_id)
            if session is not None and session.revoked_at is None:
                tx.live = True
                live.sessions[session_id] = _replace(session, revoked_at=now)

    def revoke_user_sessions(self, user_id: int, *, now: datetime, keep: str | None = None) -> int:
        now = _utc(now)
        with self._write("live") as (tx, _, live):
            ended = [
                s
                for s in live.sessions.values()
                if s.user_id == user_id and s.revoked_at is None and s.id != keep
            ]
            for session in ended:
                tx.live = True
                live.sessions[session.id] = _replace(session, revoked_at=now)
            for ticket_id in [k for k, v in live.tickets.items() if v.user_id == user_id]:
                tx.live = True
                del live.tickets[ticket_id]
            return len(ended)

    def list_sessions(self, user_id: int, *, now: datetime) -> list[Session]:
        now = _utc(now)
        with self._read("live") as live:
            found = [
                s
                for s in live.sessions.values()
                if s.user_id == user_id and s.revoked_at is None and s.expires_at > now
            ]
        return sorted(found, key=lambda s: s.created_at, reverse=True)

    def count_signed_in_users(self, *, now: datetime, seen_since: datetime) -> int:
        now, seen_since = _utc(now), _utc(seen_since)
        with self._read("live") as live:
            return len(
                {
                    s.user_id
                    for s in live.sessions.values()
                    if s.revoked_at is None and s.expires_at > now and s.last_seen_at >= seen_since
                }
            )

    def purge_expired(self, *, now: datetime) -> int:
        now = _utc(now)
        with self._write("live") as (tx, _, live):
            gone = 0
            for table in (live.tickets, live.tokens):
                for record_id in [k for k, v in table.items() if v.expires_at <= now]:
                    del table[record_id]
                    gone += 1
            for slot in [k for k, (expires, _) in live.counters.items() if expires <= now]:
                del live.counters[slot]
                gone += 1
            for sid in [
                k
                for k, s in live.sessions.items()
                if s.expires_at <= now or s.revoked_at is not None
            ]:
                del live.sessions[sid]
                gone += 1
            tx.live = gone > 0
            return gone


# --- parsing and rendering the files -------------------------------------------------


def _parse_yaml(data: bytes | None, name: str) -> dict[str, Any]:
    if data is None:
        return {}
    if len(data) > stauth_format.MAX_FILE_BYTES:
        raise FormatError(f"{name} is too large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{name} is not UTF-8 text") from None
    return stauth_format.load_text(text, name)


def _parse_json(data: bytes | None, name: str) -> dict[str, Any]:
    """One of our sidecar files; missing is empty."""
    if data is None:
        return {}
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FormatError(f"{name} is not valid JSON (damaged or half-written by hand)") from None
    except RecursionError:
        raise FormatError(f"{name} is nested too deeply") from None
    if not isinstance(value, dict):
        raise FormatError(f"{name} must hold an object at the top")
    return value


def _dump_json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _invitation(offer: dict[str, Any]) -> Invitation:
    return Invitation(**offer)


def _merge_invitations(
    preauthorized: tuple[str, ...], saved: object, now: datetime
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Invitations = the config's pre-authorized emails (unused) + used ones from the sidecar.

    An email listed in the config without details (typed in by hand) is a new
    invitation; an unused one the sidecar knows but the config no longer lists
    was removed by hand.
    """
    if not isinstance(saved, dict):
        raise TypeError("invitations must be a mapping")
    result: dict[str, dict[str, Any]] = {}
    changed = False
    for email in preauthorized:
        key = _key(email)
        meta = saved.get(key)
        if isinstance(meta, dict) and meta.get("used_at") is None:
            result[key] = _offer(meta, email)
        else:
            changed = True
            result[key] = _offer({"created_at": now}, email)
    for key, meta in saved.items():
        if key in result or not isinstance(meta, dict):
            continue
        if meta.get("used_at") is not None:
            result[str(key)] = _offer(meta, str(meta.get("email") or key))
        else:
            changed = True
    return result, changed


def _offer(meta: dict[str, Any], email: str) -> dict[str, Any]:
    return {
        "email": email,
        "created_at": _time(meta.get("created_at")) or datetime.now(UTC),
        "expires_at": _time(meta.get("expires_at")),
        "invited_by": str(meta.get("invited_by") or ""),
        "used_at": _time(meta.get("used_at")),
        "used_by": str(meta.get("used_by") or ""),
    }


def _render_config(users: _Users) -> dict[str, Any]:
    config = users.config
    credentials = config.get("credentials")
    if not isinstance(credentials, dict):
        credentials = config["credentials"] = {}
    credentials["usernames"] = {
        stauth_format.stauth_key(rec["username"]): stauth_format.user_entry(
            email=rec["email"],
            first_name=rec["first_name"],
            last_name=rec["last_name"],
            password=rec["password_hash"],
            roles=rec["roles"],
            failed_login_attempts=rec["failed_logins"],
            base=users.entries[user_id],
        )
        for user_id, rec in users.records.items()
    }
    stauth_format.set_preauthorized(
        config, [o["email"] for o in users.invitations.values() if o["used_at"] is None]
    )
    return config


def _render_state(users: _Users) -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "next_id": users.next_id,
        "users": {
            _key(rec["username"]): {
                "id": user_id,
                "username": rec["username"],
                "disabled": rec["disabled"],
                "must_change_password": rec["must_change_password"],
                "email_verified": rec["email_verified"],
                "failed_logins": rec["failed_logins"],
                "auth_source": rec["auth_source"],
                "locked_until": _iso(rec["locked_until"]),
                "created_at": _iso(rec["created_at"]),
                "last_login_at": _iso(rec["last_login_at"]),
                "pw": users.prints[user_id],
            }
            for user_id, rec in users.records.items()
        },
        "identities": [[p, s, user_id] for (p, s), user_id in users.identities.items()],
        "invitations": {
            key: {
                "email": o["email"],
                "created_at": _iso(o["created_at"]),
                "expires_at": _iso(o["expires_at"]),
                "invited_by": o["invited_by"],
                "used_at": _iso(o["used_at"]),
                "used_by": o["used_by"],
            }
            for key, o in users.invitations.items()
        },
    }


def _record(obj: Any, skip: str = "id") -> dict[str, Any]:
    values = {k: v for k, v in obj.__dict__.items() if k != skip}
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _render_live(live: _Live) -> dict[str, Any]:
    return {
        "sessions": {k: _record(s) for k, s in live.sessions.items()},
        "tickets": {k: _record(t) for k, t in live.tickets.items()},
        "tokens": {k: _record(t) for k, t in live.tokens.items()},
        "counters": [
            {"key": key, "window_start": _iso(start), "expires_at": _iso(exp), "count": n}
            for (key, start), (exp, n) in live.counters.items()
        ],
    }


def _parse_live(raw: dict[str, Any]) -> _Live:
    live = _Live()
    for sid, v in (raw.get("sessions") or {}).items():
        live.sessions[str(sid)] = Session(
            id=str(sid),
            user_id=int(v["user_id"]),
            method=str(v["method"]),
            user_agent=str(v.get("user_agent") or ""),
            ip=str(v.get("ip") or ""),
            created_at=_required_time(v.get("created_at")),
            last_seen_at=_required_time(v.get("last_seen_at")),
            expires_at=_required_time(v.get("expires_at")),
            revoked_at=_time(v.get("revoked_at")),
        )
    for tid, v in (raw.get("tickets") or {}).items():
        live.tickets[str(tid)] = Ticket(
            id=str(tid),
            user_id=int(v["user_id"]),
            method=str(v["method"]),
            origin=str(v["origin"]),
            expires_at=_required_time(v["expires_at"]),
            user_agent=str(v.get("user_agent") or ""),
            ip=str(v.get("ip") or ""),
        )
    for tid, v in (raw.get("tokens") or {}).items():
        live.tokens[str(tid)] = Token(
            id=str(tid),
            purpose=str(v["purpose"]),
            user_id=int(v["user_id"]),
            email=str(v["email"]),
            created_at=_required_time(v["created_at"]),
            expires_at=_required_time(v["expires_at"]),
        )
    for v in raw.get("counters") or []:
        start = _required_time(v["window_start"])
        live.counters[(str(v["key"]), start)] = [_required_time(v["expires_at"]), int(v["count"])]
    return live


def _replace(session: Session, **changes: Any) -> Session:
    return Session(**{**session.__dict__, **changes})


# --- queries ---------------------------------------------------------------------


def _when(value: datetime | None) -> tuple[bool, datetime]:
    return (value is not None, value or _EPOCH)


_SORT_KEYS: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    "username": lambda r: (_key(r["username"]),),
    "email": lambda r: (_key(r["email"]),),
    "name": lambda r: (_key(r["last_name"]), _key(r["first_name"])),
    "created_at": lambda r: _when(r["created_at"]),
    "last_login_at": lambda r: _when(r["last_login_at"]),
}


def _matches(rec: dict[str, Any], query: UserQuery) -> bool:
    text = query.search.strip().casefold()
    if text and not any(
        text in _key(rec[name]) for name in ("username", "email", "first_name", "last_name")
    ):
        return False
    if query.role is not None and query.role not in rec["roles"]:
        return False
    locked = rec["locked_until"] is not None and query.now is not None
    locked = locked and bool(rec["locked_until"] > query.now)
    if query.status == "disabled":
        return bool(rec["disabled"])
    if query.status == "locked":
        return not rec["disabled"] and locked
    if query.status == "active":
        return not rec["disabled"] and not locked
    if query.status == "guest":
        return bool(rec["auth_source"] != LOCAL)
    return True


def _audit_matches(e: AuditEvent, q: AuditQuery) -> bool:
    return (
        (q.since is None or e.at >= q.since)
        and (q.until is None or e.at < q.until)
        and (not q.actor or _key(e.actor) == _key(q.actor))
        and (not q.target or _key(e.target) == _key(q.target))
        and (not q.event or e.event == q.event)
        and (not q.outcome or e.outcome == q.outcome)
    )


# --- the audit log file ------------------------------------------------------------

_AUDIT_TEXT = ("event", "outcome", "actor", "target", "method", "ip", "detail")


def _audit_values(e: AuditEvent) -> dict[str, Any]:
    return {"id": e.id, "at": _iso(e.at), **{k: getattr(e, k) for k in _AUDIT_TEXT}}


def _audit_event(values: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=int(values["id"]),
        at=_required_time(values["at"]),
        **{k: str(values.get(k) or "") for k in _AUDIT_TEXT},
    )


def _parse_audit(data: bytes) -> list[AuditEvent]:
    """Every whole line that is a valid event; a torn last line (a crash) is skipped."""
    events = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
            events.append(_audit_event(values))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    return events


def _drop_torn_tail_and_last_id(fd: int) -> int:
    """Cut a half-written last line (a killed writer) and return the last event's id."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0
    chunk, end = 65536, size
    tail = b""
    while end > 0:
        start = max(0, end - chunk)
        tail = os.pread(fd, end - start, start) + tail
        end = start
        if tail.count(b"\n") >= 2:
            break
    if not tail.endswith(b"\n"):
        cut = tail.rfind(b"\n")
        keep = end + cut + 1 if cut >= 0 else 0
        os.ftruncate(fd, keep)
        tail = tail[: cut + 1] if cut >= 0 else b""
    for line in reversed(tail.split(b"\n")):
        if line.strip():
            try:
                return int(json.loads(line)["id"])
            except (ValueError, TypeError, KeyError):
                break
    # The last line is not ours (edited by hand?): number after everything in the file.
    events = _parse_audit(os.pread(fd, os.fstat(fd).st_size, 0))
    return max((e.id or 0 for e in events), default=0)
