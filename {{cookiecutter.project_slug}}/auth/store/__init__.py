"""Storage: one interface (`base.Store`), one backend per file."""

from auth.store.base import (
    ADMIN_ROLE,
    LOCAL,
    AuditDayCount,
    AuditEvent,
    AuditQuery,
    DuplicateIdentity,
    DuplicateUser,
    Invitation,
    InvitationError,
    LastAdminError,
    Session,
    Store,
    StoreError,
    Ticket,
    Token,
    User,
    UserNotFound,
    UserQuery,
)

__all__ = [
    "ADMIN_ROLE",
    "LOCAL",
    "AuditDayCount",
    "AuditEvent",
    "AuditQuery",
    "DuplicateIdentity",
    "DuplicateUser",
    "Invitation",
    "InvitationError",
    "LastAdminError",
    "Session",
    "Store",
    "StoreError",
    "Ticket",
    "Token",
    "User",
    "UserNotFound",
    "UserQuery",
    "open_store",
]


def open_store(settings) -> Store:
    """The store the settings ask for, with its schema in place."""
    if getattr(settings, "storage_backend", "sqlite") == "yaml":
        return _open_yaml(settings)
    from auth.store.sql import SQLStore, sqlite_engine

    store = SQLStore(sqlite_engine(settings.sqlite_path))
    store.create_schema()
    return store


def _open_yaml(settings) -> Store:
    """The YAML store, hashing plain-text passwords found in the file with our peppered hash.

    The store gets the hasher as a callable so that it never sees the pepper.
    """
    from auth import passwords
    from auth.store.yaml_store import YAMLStore

    def hasher(password: str) -> str:
        return passwords.hash_password(password, settings.pepper, settings.bcrypt_rounds)

    store = YAMLStore(settings.yaml_path, password_hasher=hasher)
    store.create_schema()
    return store
