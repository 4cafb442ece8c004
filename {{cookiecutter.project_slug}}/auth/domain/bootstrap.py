"""The first admin, created from `[bootstrap_admin]` in secrets when the store has no admin."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from auth.domain import users
from auth.store import ADMIN_ROLE, DuplicateUser, NewUser, User

if TYPE_CHECKING:
    from auth.domain.services import Services

log = logging.getLogger("auth")


def ensure_bootstrap_admin(services: Services) -> User | None:
    """Create the bootstrap admin if no active admin exists; returns the new user or None."""
    store, bootstrap = services.store, services.settings.bootstrap_admin
    if bootstrap is None or store.count_active_admins() > 0:
        return None
    if store.find_user(bootstrap.username) or store.find_user(bootstrap.email):
        log.warning(
            "No active admin, and the bootstrap admin %r already exists: "
            "use `python manage.py set-roles` or `enable` to restore one.",
            bootstrap.username,
        )
        return None
    try:
        new = NewUser(
            username=bootstrap.username,
            email=bootstrap.email,
            password_hash=bootstrap.password_hash,
            roles=(ADMIN_ROLE,),
            # The one-time password was printed once at generation; it must go.
            must_change_password=True,
        )
        user = users.create(services, new, by=users.Actor(method="bootstrap"))
    except DuplicateUser:  # another process created it first
        return None
    log.info("Created the bootstrap admin %r", user.username)
    return user
