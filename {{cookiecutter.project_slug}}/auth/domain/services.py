"""`Services`: settings, store and clock, handed to every domain function.

Nothing here knows Streamlit: the app gets its one `Services` object from
`auth.web.services.get_services()`, manage.py and the tests build their own
with `open_services()` or the constructor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from auth.config import Settings
from auth.domain import passwords
from auth.store import Store, open_store


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: Store
    clock: Callable[[], datetime] = field(default=utc_now)
    # When this process last pruned the audit log (auth/domain/audit.py: prune_if_due).
    _audit_pruned_at: datetime | None = field(default=None, init=False, repr=False, compare=False)

    def now(self) -> datetime:
        return self.clock()

    @cached_property
    def dummy_hash(self) -> str:
        """Verified for unknown users so every sign-in attempt costs one hash."""
        return passwords.dummy_hash(self.settings.pepper, self.settings.bcrypt_rounds)


def password_hasher(settings: Settings) -> Callable[[str], str]:
    """Our peppered hash, for plain-text passwords the YAML store finds in its config.

    A callable rather than the pepper itself: the store never sees the secret.
    """

    def hasher(password: str) -> str:
        return passwords.hash_password(password, settings.pepper, settings.bcrypt_rounds)

    return hasher


def open_services(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
    """The store `settings` names, opened and migrated, with the clock."""
    return Services(settings, open_store(settings, password_hasher(settings)), clock)
