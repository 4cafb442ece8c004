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
    from auth.store.sql import SQLStore, sqlite_engine

    store = SQLStore(sqlite_engine(settings.sqlite_path))
    store.create_schema()
    return store
