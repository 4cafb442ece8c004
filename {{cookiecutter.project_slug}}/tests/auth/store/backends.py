"""The store backends this project has, and how tests open each one.

A backend is tested when its module exists: the template's post-generation
hook deletes the modules of backends that were not chosen. `StoreSpec` is
picklable so that tests can reopen the same store in other processes.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from auth.store import Store


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available_backends() -> list[str]:
    backends = []
    if _has("auth.store.sql"):
        backends.append("sqlite")
    if _has("auth.store.postgres"):
        backends.append("postgres")
    if _has("auth.store.yaml_store"):
        backends.append("yaml")
    return backends


BACKENDS = available_backends()


@dataclass(frozen=True)
class StoreSpec:
    """Where one test's store lives: a file for sqlite and yaml, a URL for postgres."""

    backend: str
    location: str

    def open(self) -> Store:
        """A new store object on this location (each process opens its own)."""
        if self.backend == "sqlite":
            from auth.store.sql import SQLStore, sqlite_engine

            return SQLStore(sqlite_engine(Path(self.location)))
        if self.backend == "postgres":
            raise NotImplementedError("postgres factory: tests/auth/store/backends.py")
        if self.backend == "yaml":
            raise NotImplementedError("yaml factory: tests/auth/store/backends.py")
        raise AssertionError(self.backend)


def new_spec(backend: str, tmp_path: Path) -> StoreSpec:
    """A fresh, empty location for `backend` (the schema is not yet created)."""
    if backend == "sqlite":
        return StoreSpec("sqlite", str(tmp_path / "users.db"))
    if backend == "yaml":
        return StoreSpec("yaml", str(tmp_path / "config.yaml"))
    if backend == "postgres":
        raise NotImplementedError("postgres factory: tests/auth/store/backends.py")
    raise AssertionError(backend)
