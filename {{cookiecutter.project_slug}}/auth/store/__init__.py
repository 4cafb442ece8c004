"""Storage, below the domain: records (`records.py`), errors (`errors.py`), the interface
split by role (`protocols.py`), one backend per file, chosen by `[storage] backend`."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING  # [option: storage=sqlite,postgres]

from auth.config import ConfigError, Settings
from auth.store.errors import (
    DuplicateIdentity,
    DuplicateUser,
    InvitationError,
    LastAdminError,
    StoreError,
    UserNotFound,
)
from auth.store.protocols import (
    AuditStore,
    InvitationStore,
    SessionStore,
    Store,
    TokenStore,
    UserStore,
)
from auth.store.records import (
    ADMIN_ROLE,
    LOCAL,
    TOKEN_PURPOSES,
    USER_SORT_KEYS,
    USER_STATUSES,
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

# [option: storage=sqlite,postgres]
if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
# [end option: storage=sqlite,postgres]

__all__ = [
    "ADMIN_ROLE",
    "LOCAL",
    "TOKEN_PURPOSES",
    "USER_SORT_KEYS",
    "USER_STATUSES",
    "AuditDayCount",
    "AuditEvent",
    "AuditQuery",
    "AuditStore",
    "DuplicateIdentity",
    "DuplicateUser",
    "Invitation",
    "InvitationError",
    "InvitationStore",
    "LastAdminError",
    "NewUser",
    "Session",
    "SessionStore",
    "Store",
    "StoreError",
    "Ticket",
    "Token",
    "TokenStore",
    "User",
    "UserChanges",
    "UserNotFound",
    "UserQuery",
    "UserStore",
    "open_engine",  # [option: storage=sqlite,postgres]
    "open_store",
]


def open_store(settings: Settings, password_hasher: Callable[[str], str] | None = None) -> Store:
    """The store `settings.storage_backend` names, with its schema in place (migrated).

    `password_hasher` hashes plain-text passwords found in a YAML config (the domain's
    peppered hash; auth/domain/services.py passes it): the store never sees the pepper.
    """
    backend = settings.storage_backend
    store: Store
    # [option: storage=yaml]
    if backend == "yaml":
        store = _backend("auth.store.yaml_store", backend).YAMLStore(
            settings.yaml_path, password_hasher=password_hasher
        )
    # [end option: storage=yaml]
    # [option: storage=postgres]
    if backend == "postgres":
        store = _backend("auth.store.postgres", backend).postgres_store(settings.database_url)
    # [end option: storage=postgres]
    # [option: storage=sqlite,postgres]
    if backend == "sqlite":
        store = _backend("auth.store.sql", backend).SQLStore(open_engine(settings))
    # [end option: storage=sqlite,postgres]
    store.create_schema()
    return store


# [option: storage=sqlite,postgres]
def open_engine(settings: Settings) -> Engine:
    """The SQLAlchemy engine of a SQL backend (sqlite or postgres)."""
    engine: Engine
    # [option: storage=postgres]
    if settings.storage_backend == "postgres":
        engine = _backend("auth.store.postgres", "postgres").postgres_engine(settings.database_url)
        return engine
    # [end option: storage=postgres]
    if settings.storage_backend == "sqlite":
        engine = _backend("auth.store.sql", "sqlite").sqlite_engine(settings.sqlite_path)
        return engine
    raise ConfigError(f"the {settings.storage_backend} storage has no SQL engine")


# [end option: storage=sqlite,postgres]
def _backend(module: str, backend: str) -> ModuleType:
    """Import a backend module lazily: only the chosen one is installed and generated."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not exc.name.startswith("auth."):
            missing = f"its library {exc.name} is not installed (pip install -r requirements.txt)"
        else:
            missing = "this project was generated without it"
        raise ConfigError(
            f'settings.toml asks for storage backend "{backend}", but {missing}'
        ) from None
