"""The errors a store raises for requests it refuses (outages raise the backend's own errors)."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of the errors a store raises for bad requests (not for outages)."""


class DuplicateUser(StoreError):
    """The username or email is already taken (compared case-insensitively)."""

    def __init__(self, field: str):
        super().__init__(f"{field} is already taken")
        self.field = field


class UserNotFound(StoreError):
    """No user with that id."""


class DuplicateIdentity(StoreError):
    """That (provider, subject) is already linked to a user."""


class InvitationError(StoreError):
    """No usable invitation (pre-authorized email) for that address: none, used or expired."""


class LastAdminError(StoreError):
    """The change would leave the app without an active admin."""

    def __init__(self) -> None:
        super().__init__("the last active admin cannot be removed, disabled or demoted")
