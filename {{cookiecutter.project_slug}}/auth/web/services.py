"""The process's one `Services` object, made from `st.secrets` and settings.toml on first use.

Routes, pages and main.py share it. Routes run in Starlette's thread pool and scripts
in Streamlit's script threads, all in one process; a lock makes the first start
(schema, bootstrap admin) happen once.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from types import ModuleType
from typing import Any

from auth.config import ConfigError, load_settings
from auth.domain import audit
from auth.domain.services import Services, open_services

__all__ = ["Services", "get_services", "use_services"]


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The process's services, created on first use from st.secrets and settings.toml."""
    global _services
    started = False
    with _lock:
        if _services is None:
            import streamlit as st

            from auth.domain.bootstrap import ensure_bootstrap_admin

            _configure_logging()
            settings = load_settings(_read_secrets(st))
            services = open_services(settings)
            ensure_bootstrap_admin(services)
            services.store.purge_expired(now=services.now())
            _services = services
            started = True
        services = _services
    if started:
        _spare_the_garbage_collector()
    audit.prune_if_due(services)  # at start, then at most daily
    return services


def _spare_the_garbage_collector() -> None:
    """Put what exists after the start (modules, the store's engine) out of the collector's way.

    Streamlit runs a full garbage collection after every script run
    (runner.postScriptGC). The modules and objects loaded by now live as long as
    the process, yet that collection walked them on every run: about 100 ms of a
    small server's time per run. Frozen, they are skipped; everything made later
    is still collected. The collection first leaves no garbage to freeze.
    """
    gc.collect()
    gc.freeze()


def _read_secrets(st: ModuleType) -> dict[str, Any]:
    try:
        secrets: dict[str, Any] = st.secrets.to_dict()
        return secrets
    except FileNotFoundError as exc:
        raise ConfigError(
            "no .streamlit/secrets.toml found; copy .streamlit/secrets.toml.example "
            "and fill it in (python manage.py secret makes the random values)"
        ) from exc


def _configure_logging() -> None:
    """Sign-in events go to the server log (stderr) unless the app configured logging itself."""
    logger = logging.getLogger("auth")
    if not logger.handlers:
        handler = logging.StreamHandler()
        formatter = logging.Formatter(
            "%(asctime)sZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"
        )
        formatter.converter = time.gmtime  # UTC, whatever the server's time zone
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def use_services(services: Services | None) -> None:
    """Replace the process's services (tests; a custom store)."""
    global _services
    with _lock:
        _services = services
