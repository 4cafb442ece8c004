"""The audit log: one call, `record`, for every authentication event and admin action.

Each event goes to the store (the admin's audit page reads it there) and to the
server log. Never pass a password, hash, token, ticket or cookie value: not as
`detail`, not anywhere.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from auth.store import AuditEvent

if TYPE_CHECKING:
    from auth.domain.services import Services

log = logging.getLogger("auth.domain.audit")

SUCCESS, FAILURE = "success", "failure"

# Event names. Pages and modules use these constants so the audit page can filter on them.
SIGN_IN = "sign_in"
SIGN_OUT = "sign_out"
LOCKOUT = "lockout"
SESSION_ACTIVE = "session_active"  # at most once per session per UTC day: "active users"
PASSWORD_CHANGE = "password_change"  # noqa: S105 - an event name
PASSWORD_RESET = "password_reset"  # noqa: S105 - an event name
PASSWORD_RESET_REQUEST = "password_reset_request"  # noqa: S105
USERNAME_REMINDER = "username_reminder"
REGISTRATION = "registration"
EMAIL_VERIFICATION = "email_verification"
EMAIL_CHANGE = "email_change"
GUEST_PROVISIONED = "guest_provisioned"
USER_CREATED = "user_created"
USER_UPDATED = "user_updated"
ROLES_CHANGED = "roles_changed"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
USER_UNLOCKED = "user_unlocked"
USER_DELETED = "user_deleted"
SESSIONS_REVOKED = "sessions_revoked"
INVITATIONS_ADDED = "invitations_added"
INVITATION_REMOVED = "invitation_removed"
ADMIN_DENIED = "admin_denied"  # someone without the admin role reached an admin action
USERS_IMPORTED = "users_imported"
USERS_EXPORTED = "users_exported"
AUDIT_EXPORTED = "audit_exported"
AUDIT_PRUNED = "audit_pruned"

MAX_FIELD_CHARS = 254  # a hostile login text must not bloat the log


def _cap(value: str) -> str:
    value = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return value[:MAX_FIELD_CHARS]


def record(
    services: Services,
    event: str,
    outcome: str = SUCCESS,
    *,
    actor: str = "",
    target: str = "",
    method: str = "",
    ip: str = "",
    detail: str = "",
) -> AuditEvent:
    """Store one event (UTC, from the services' clock) and write it to the server log."""
    entry = AuditEvent(
        at=services.now(),
        event=event,
        outcome=outcome,
        actor=_cap(actor),
        target=_cap(target),
        method=_cap(method),
        ip=_cap(ip),
        detail=_cap(detail),
    )
    services.store.add_audit(entry)
    log.info(
        "%s %s actor=%s target=%s method=%s ip=%s %s",
        event,
        outcome,
        entry.actor or "-",
        entry.target or "-",
        entry.method or "-",
        entry.ip or "-",
        entry.detail,
    )
    return entry


PRUNE_INTERVAL = timedelta(days=1)
_prune_lock = threading.Lock()


def prune_if_due(services: Services) -> int:
    """Delete events older than the retention, at most once a day per process.

    Cheap when not due (a clock read and a comparison), so it may run on every script run.
    """
    now = services.now()
    last = getattr(services, "_audit_pruned_at", None)
    if last is not None and now - last < PRUNE_INTERVAL:
        return 0
    with _prune_lock:
        last = getattr(services, "_audit_pruned_at", None)
        if last is not None and now - last < PRUNE_INTERVAL:
            return 0
        services._audit_pruned_at = now
        removed = services.store.prune_audit(before=now - services.settings.audit_retention)
    if removed:
        days = services.settings.audit_retention.days
        record(services, AUDIT_PRUNED, method="retention", detail=f"{removed} older than {days} d")
    return removed
