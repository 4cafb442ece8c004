"""Storage: one interface (`base.Store`), one backend per file."""

from auth.store.base import (
    ADMIN_ROLE,
    DuplicateUser,
    LastAdminError,
    Session,
    Store,
    StoreError,
    Ticket,
    User,
    UserNotFound,
)

__all__ = [
    "ADMIN_ROLE",
    "DuplicateUser",
    "LastAdminError",
    "Session",
    "Store",
    "StoreError",
    "Ticket",
    "User",
    "UserNotFound",
    "open_store",
]


def open_store(settings) -> Store:
    """The store the settings ask for, with its schema in place."""
    from auth.store.sql import SQLStore, sqlite_engine

    store = SQLStore(sqlite_engine(settings.sqlite_path))
    store.create_schema()
    return store
