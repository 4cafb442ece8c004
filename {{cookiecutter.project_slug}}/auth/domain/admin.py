"""The admin console's actions: users, invitations, audit log. Pages only lay them out.

Every public function takes the acting `identity` and passes it to `require_admin`
first, so a call from anywhere (a page, a test, a future route) by anyone but a
current admin changes and reveals nothing. Every action lands in the audit log.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from auth.domain import audit, users, validators
from auth.domain.users import ValidationError
from auth.store import (
    ADMIN_ROLE,
    USER_SORT_KEYS,
    USER_STATUSES,
    AuditEvent,
    AuditQuery,
    DuplicateUser,
    LastAdminError,
    StoreError,
    User,
    UserNotFound,
    UserQuery,
)
from auth.texts import T

if TYPE_CHECKING:
    from auth.domain.recovery import ResetDelivery
    from auth.domain.services import Services
    from auth.domain.sessions import Identity

PAGE_SIZES = (25, 50, 100)
# What the Users page offers to sort and filter by (the store's query supports these).
SORT_KEYS, STATUSES = USER_SORT_KEYS, USER_STATUSES
MAX_SEARCH_CHARS = 100
EXPORT_BATCH = 1000
# A CSV import is read whole into memory and checked row by row: cap both.
MAX_IMPORT_BYTES = 2_000_000
MAX_IMPORT_ROWS = 10_000
IMPORT_COLUMNS = ("username", "email", "first_name", "last_name", "roles")
MAX_INVITATIONS_AT_ONCE = 1000
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class NotAllowed(Exception):
    """The caller is not a signed-in, current admin."""


class AdminError(Exception):
    """An action refused with a message for the admin (nothing changed)."""


# --- the one guard --------------------------------------------------------------------


def require_admin(
    services: Services, identity: Identity, *, action: str = "", ip: str = ""
) -> User:
    """The acting admin as the store has them now; raises NotAllowed for anyone else.

    Re-reads the user so a demotion or disable takes effect even mid-run.
    """
    user = getattr(identity, "user", None)
    current = services.store.get_user(user.id) if isinstance(user, User) else None
    if (
        current is None
        or current.disabled
        or current.must_change_password
        or ADMIN_ROLE not in current.roles
    ):
        audit.record(
            services,
            audit.ADMIN_DENIED,
            audit.FAILURE,
            actor=current.username if current else "",
            method="admin",
            ip=ip,
            detail=action,
        )
        raise NotAllowed("This needs a signed-in admin.")
    return current


def _record(
    services: Services,
    admin: User,
    event: str,
    target: str = "",
    outcome: str = audit.SUCCESS,
    **kw: str,
) -> None:
    audit.record(
        services, event, outcome, actor=admin.username, target=target, method="admin", **kw
    )


def _target(services: Services, username: str) -> User:
    try:
        return users.get_by_username(services, username)
    except UserNotFound:
        raise AdminError(T.admin_no_such_user.format(username=username)) from None


def _refuse(
    services: Services, admin: User, event: str, target: User, message: str, ip: str
) -> NoReturn:
    _record(services, admin, event, target.username, audit.FAILURE, ip=ip, detail=message)
    raise AdminError(message)


# --- users: the table -----------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    search: str = ""
    role: str | None = None
    status: str | None = None
    sort: str = "username"
    descending: bool = False


@dataclass(frozen=True)
class UserPage:
    rows: list[dict[str, Any]]  # users.public_record of each user on the page
    total: int
    page: int  # 1-based, clamped to the pages there are
    pages: int


def user_query(services: Services, flt: UserFilter) -> UserQuery:
    search = flt.search.strip()[:MAX_SEARCH_CHARS]
    return UserQuery(
        search=search,
        role=flt.role or None,
        status=flt.status if flt.status in USER_STATUSES else None,
        sort=flt.sort if flt.sort in USER_SORT_KEYS else "username",
        descending=flt.descending,
        now=services.now(),
    )


def list_users(
    services: Services,
    identity: Identity,
    flt: UserFilter = UserFilter(),
    *,
    page: int = 1,
    page_size: int = 50,
) -> UserPage:
    """One page of matching users, counted and fetched by the store (never all of them)."""
    require_admin(services, identity, action="list users")
    page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[1]
    query = user_query(services, flt)
    total = services.store.count_users(query)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, int(page)), pages)
    found = services.store.list_users(query, offset=(page - 1) * page_size, limit=page_size)
    now = services.now()
    return UserPage([users.public_record(u, now) for u in found], total, page, pages)


@dataclass(frozen=True)
class UserDetails:
    user: User
    record: dict[str, Any]
    live_sessions: int
    is_self: bool


def user_details(services: Services, identity: Identity, username: str) -> UserDetails:
    from auth.domain.sessions import live_sessions

    admin = require_admin(services, identity, action="view user")
    user = _target(services, username)
    record = users.public_record(user, services.now())
    record["auth_source"] = user.auth_source
    record["email_verified"] = user.email_verified
    return UserDetails(user, record, len(live_sessions(services, user)), user.id == admin.id)


# --- users: actions -------------------------------------------------------------------


def update_user(
    services: Services,
    identity: Identity,
    username: str,
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: Iterable[str],
    ip: str = "",
) -> User:
    """Edit name, email and roles. An admin cannot drop their own admin role here."""
    admin = require_admin(services, identity, action="edit user")
    user = _target(services, username)
    roles = tuple(dict.fromkeys(roles))
    if user.id == admin.id and ADMIN_ROLE not in roles:
        _refuse(services, admin, audit.ROLES_CHANGED, user, T.admin_self_demote, ip)
    problems = validators.role_problems(roles, services.settings.roles)
    if problems:
        raise AdminError(" ".join(problems))
    try:
        updated = users.update_details(
            services,
            user,
            email=email,
            first_name=first_name,
            last_name=last_name,
            actor=admin.username,
            method="admin",
            ip=ip,
        )
        if set(roles) != set(user.roles):
            updated = users.set_roles(
                services, updated, roles, actor=admin.username, method="admin", ip=ip
            )
    except ValidationError as exc:
        raise AdminError(str(exc)) from None
    except DuplicateUser:
        raise AdminError(T.admin_email_in_use) from None
    except LastAdminError:
        _refuse(services, admin, audit.ROLES_CHANGED, user, T.admin_last_admin, ip)
    return updated


def set_disabled(
    services: Services, identity: Identity, username: str, disabled: bool, *, ip: str = ""
) -> User:
    """Disable (their sessions end at their next interaction) or enable a user."""
    admin = require_admin(services, identity, action="disable user" if disabled else "enable user")
    user = _target(services, username)
    event = audit.USER_DISABLED if disabled else audit.USER_ENABLED
    if disabled and user.id == admin.id:
        _refuse(services, admin, event, user, T.admin_self_disable, ip)
    try:
        return users.set_disabled(
            services, user, disabled, actor=admin.username, method="admin", ip=ip
        )
    except LastAdminError:
        _refuse(services, admin, event, user, T.admin_last_admin, ip)


def unlock(services: Services, identity: Identity, username: str, *, ip: str = "") -> User:
    admin = require_admin(services, identity, action="unlock user")
    user = _target(services, username)
    return users.unlock(services, user, actor=admin.username, method="admin", ip=ip)


def sign_out_everywhere(
    services: Services, identity: Identity, username: str, *, ip: str = ""
) -> int:
    """End every session of the user; for the acting admin, all but this one."""
    admin = require_admin(services, identity, action="revoke sessions")
    user = _target(services, username)
    keep = identity.session.id if user.id == admin.id else None
    return users.revoke_sessions(
        services, user, keep=keep, actor=admin.username, method="admin", ip=ip
    )


def send_password_reset(
    services: Services, identity: Identity, username: str, *, ip: str = ""
) -> ResetDelivery:
    """Email a reset link; without email, return it to be handed over once (never a password)."""
    from auth.domain import recovery

    admin = require_admin(services, identity, action="password reset")
    user = _target(services, username)
    event = audit.PASSWORD_RESET_REQUEST
    if user.is_guest:
        _refuse(services, admin, event, user, T.admin_guest_no_password, ip)
    if user.disabled:
        _refuse(services, admin, event, user, T.admin_enable_first, ip)
    if services.settings.smtp is not None and not user.email:
        _refuse(services, admin, event, user, T.admin_no_email, ip)
    return recovery.start_password_reset(services, user, actor=admin.username, ip=ip)


def delete_user(
    services: Services, identity: Identity, username: str, confirmation: str, *, ip: str = ""
) -> None:
    """Delete a user; `confirmation` must repeat the username exactly."""
    admin = require_admin(services, identity, action="delete user")
    user = _target(services, username)
    if confirmation.strip() != user.username:
        raise AdminError(T.admin_delete_mismatch.format(username=user.username))
    if user.id == admin.id:
        _refuse(services, admin, audit.USER_DELETED, user, T.admin_self_delete, ip)
    try:
        users.delete_user(services, user, actor=admin.username, method="admin", ip=ip)
    except LastAdminError:
        _refuse(services, admin, audit.USER_DELETED, user, T.admin_last_admin, ip)


@dataclass(frozen=True)
class Created:
    user: User
    one_time_password: str | None = None  # shown once, changed at first sign-in
    link: str | None = None  # a reset link to hand over (email not configured)
    emailed: bool = False  # a reset link went to the user's address


def create_user(
    services: Services,
    identity: Identity,
    *,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str] = (),
    ip: str = "",
) -> Created:
    """Create a user. With email configured they get a link to set their password;
    otherwise the admin sees a one-time password once, to be changed at first sign-in."""
    from auth.domain import recovery

    admin = require_admin(services, identity, action="create user")
    by_email = services.settings.smtp is not None
    try:
        user, one_time = users.create_user(
            services,
            username=username.strip(),
            email=email.strip(),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            roles=tuple(roles),
            usable_password=not by_email,
            actor=admin.username,
            method="admin",
            ip=ip,
        )
    except ValidationError as exc:
        raise AdminError(str(exc)) from None
    except DuplicateUser as exc:
        taken = T.admin_email_taken if exc.field == "email" else T.admin_username_taken
        raise AdminError(taken) from None
    if not by_email:
        return Created(user, one_time_password=one_time)
    delivery = recovery.start_password_reset(services, user, actor=admin.username, ip=ip)
    return Created(user, link=delivery.link, emailed=delivery.emailed)


# --- CSV: import and export -------------------------------------------------------------


def neutralize(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> tuple[str, int]:
    """CSV text (every cell neutralized) and the number of data rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([neutralize(v) for v in row])
        count += 1
    return out.getvalue(), count


EXPORT_COLUMNS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "roles",
    "status",
    "must_change_password",
    "created_at",
    "last_login_at",
)


def export_users_csv(
    services: Services, identity: Identity, flt: UserFilter = UserFilter(), *, ip: str = ""
) -> str:
    """Every matching user as CSV, read in batches: no hash, no counters, no ids."""
    admin = require_admin(services, identity, action="export users")
    query, now = user_query(services, flt), services.now()

    def rows() -> Iterator[list[Any]]:
        offset = 0
        while batch := services.store.list_users(query, offset=offset, limit=EXPORT_BATCH):
            for user in batch:
                record = users.public_record(user, now)
                record["roles"] = ";".join(record["roles"])
                yield [record[c] for c in EXPORT_COLUMNS]
            offset += len(batch)

    text, count = _csv(EXPORT_COLUMNS, rows())
    _record(services, admin, audit.USERS_EXPORTED, ip=ip, detail=f"rows={count}")
    return text


@dataclass(frozen=True)
class ImportRow:
    line: int  # line number in the file (the header is line 1)
    username: str
    outcome: str  # "create" (dry run), "created", "skipped"
    reason: str = ""


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    error: str = ""  # the whole file was refused (nothing was created)

    @property
    def created(self) -> int:
        return sum(r.outcome in ("create", "created") for r in self.rows)

    @property
    def skipped(self) -> int:
        return sum(r.outcome == "skipped" for r in self.rows)


def _parse_import(text: str) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_IMPORT_BYTES:
        return [], T.import_too_large.format(megabytes=MAX_IMPORT_BYTES // 1_000_000)
    text = text.removeprefix("\ufeff")  # Excel's byte-order mark
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in ("username", "email") if c not in header]
        if missing:
            return [], T.import_missing_columns.format(
                columns=", ".join(IMPORT_COLUMNS), missing=", ".join(missing)
            )
        unknown = [h for h in header if h not in IMPORT_COLUMNS]
        if unknown:
            return [], T.import_unknown_columns.format(columns=", ".join(unknown)[:200])
        rows: list[tuple[int, dict[str, Any]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                return [], T.import_too_many_rows.format(rows=MAX_IMPORT_ROWS)
            padded = cells + [""] * (len(header) - len(cells))
            extra = len(cells) > len(header)
            row: dict[str, Any] = dict(zip(header, (c.strip() for c in padded), strict=False))
            row["_extra"] = extra
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        return [], T.import_unreadable.format(line=reader.line_num, error=exc)
    return rows, ""


def _row_problem(services: Services, row: dict[str, Any], seen: set[str]) -> str:
    if row["_extra"]:
        return T.import_row_extra_cells
    username, email = row.get("username", ""), row.get("email", "")
    roles = tuple(dict.fromkeys(r.strip() for r in row.get("roles", "").split(";") if r.strip()))
    problems = (
        validators.username_problems(username)
        + validators.email_problems(email)
        + validators.name_problems(row.get("first_name", ""), T.first_name)
        + validators.name_problems(row.get("last_name", ""), T.last_name)
        + validators.role_problems(roles, services.settings.roles)
    )
    if problems:
        return " ".join(problems)
    for key in (username.casefold(), email.casefold()):
        if key in seen:
            return T.import_row_repeated
    if services.store.find_user(username) or services.store.find_user(email):
        return T.import_row_exists
    seen.update((username.casefold(), email.casefold()))
    row["_roles"] = roles
    return ""


def import_users_csv(
    services: Services,
    identity: Identity,
    text: str,
    *,
    apply: bool = False,
    progress: Callable[[float], object] | None = None,
    ip: str = "",
) -> ImportReport:
    """Check (dry run) or create the users of a CSV file, reporting each row.

    Columns: username,email,first_name,last_name,roles (roles separated by ';';
    only username and email are required). Imported users have no password: they
    set one with a reset link (from the Users page, or "Forgot password").
    """
    admin = require_admin(services, identity, action="import users")
    parsed, error = _parse_import(text)
    if error:
        return ImportReport(error=error)
    report, seen = ImportReport(), set[str]()
    for index, (line, row) in enumerate(parsed, start=1):
        username = row.get("username", "")[:64]
        problem = _row_problem(services, row, seen)
        if problem:
            report.rows.append(ImportRow(line, username, "skipped", problem))
        elif not apply:
            report.rows.append(ImportRow(line, username, "create"))
        else:
            try:
                users.create_user(
                    services,
                    username=row["username"],
                    email=row["email"],
                    first_name=row.get("first_name", ""),
                    last_name=row.get("last_name", ""),
                    roles=row["_roles"],
                    usable_password=False,
                    actor=admin.username,
                    method="import",
                    ip=ip,
                )
                report.rows.append(ImportRow(line, username, "created"))
            except (ValidationError, StoreError) as exc:  # e.g. created meanwhile
                report.rows.append(ImportRow(line, username, "skipped", str(exc)))
        if progress is not None:
            progress(index / len(parsed))
    if apply:
        _record(
            services,
            admin,
            audit.USERS_IMPORTED,
            ip=ip,
            detail=f"created={report.created} skipped={report.skipped}",
        )
    return report


# --- invitations ----------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationResult:
    added: list[str]
    renewed: list[str]  # already invited: the expiry was updated (unless used)
    invalid: list[str]


def _end_of_day(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day + timedelta(days=1), time(), UTC)


def add_invitations(
    services: Services,
    identity: Identity,
    text: str,
    *,
    expires_on: date | None = None,
    ip: str = "",
) -> InvitationResult:
    """Invite the emails in `text` (one per line, or separated by commas or spaces).

    With `expires_on`, an invitation works until the end of that UTC day.
    """
    admin = require_admin(services, identity, action="add invitations")
    words = [w.strip() for w in text.replace(",", " ").replace(";", " ").split()]
    emails = list(dict.fromkeys(w.lower() for w in words if w))
    if not emails:
        raise AdminError(T.invite_none)
    if len(emails) > MAX_INVITATIONS_AT_ONCE:
        raise AdminError(T.invite_too_many.format(count=MAX_INVITATIONS_AT_ONCE))
    invalid = [e for e in emails if validators.email_problems(e)]
    if invalid:
        shown = ", ".join(e[:60] for e in invalid[:5]) + (" …" if len(invalid) > 5 else "")
        raise AdminError(T.invite_not_emails.format(addresses=shown))
    now = services.now()
    expires_at = _end_of_day(expires_on)
    if expires_at is not None and expires_at <= now:
        raise AdminError(T.invite_past_expiry)
    added = services.store.add_invitations(
        emails, now=now, expires_at=expires_at, invited_by=admin.username
    )
    _record(
        services,
        admin,
        audit.INVITATIONS_ADDED,
        ip=ip,
        detail=f"added={len(added)} renewed={len(emails) - len(added)}",
    )
    renewed = [e for e in emails if e not in set(added)]
    return InvitationResult(added=added, renewed=renewed, invalid=[])


def list_invitations(services: Services, identity: Identity) -> list[dict[str, Any]]:
    require_admin(services, identity, action="list invitations")
    now = services.now()
    return [
        {
            "email": i.email,
            "status": "used" if i.used_at else ("open" if i.is_usable(now) else "expired"),
            "invited_by": i.invited_by,
            "created_at": i.created_at,
            "expires_at": i.expires_at,
            "used_by": i.used_by,
            "used_at": i.used_at,
        }
        for i in services.store.list_invitations()
    ]


def remove_invitation(services: Services, identity: Identity, email: str, *, ip: str = "") -> None:
    admin = require_admin(services, identity, action="remove invitation")
    if not services.store.remove_invitation(email):
        raise AdminError(T.invite_not_found.format(email=email[:254]))
    _record(services, admin, audit.INVITATION_REMOVED, email, ip=ip)


# --- audit log ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    since: date | None = None  # first UTC day shown
    until: date | None = None  # last UTC day shown (inclusive)
    actor: str = ""
    event: str = ""
    outcome: str = ""

    def query(self) -> AuditQuery:
        return AuditQuery(
            since=None if self.since is None else datetime.combine(self.since, time(), UTC),
            until=_end_of_day(self.until),
            actor=self.actor.strip()[:254],
            event=self.event,
            outcome=self.outcome,
        )


AUDIT_COLUMNS = ("at", "event", "outcome", "actor", "target", "method", "ip", "detail")


def _audit_row(event: AuditEvent) -> dict[str, Any]:
    return {c: getattr(event, c) for c in AUDIT_COLUMNS}


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def list_audit(
    services: Services,
    identity: Identity,
    flt: AuditFilter = AuditFilter(),
    *,
    page: int = 1,
    page_size: int = 50,
) -> AuditPage:
    require_admin(services, identity, action="read audit log")
    page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[1]
    query = flt.query()
    total = services.store.count_audit(query)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, int(page)), pages)
    found = services.store.list_audit(query, offset=(page - 1) * page_size, limit=page_size)
    return AuditPage([_audit_row(e) for e in found], total, page, pages)


@dataclass(frozen=True)
class AuditCharts:
    sign_ins: dict[date, dict[str, int]]  # day -> "method success|failure" -> count
    active_users: dict[date, int]  # day -> users with a session in use that day
    locked_now: int


def audit_charts(
    services: Services, identity: Identity, flt: AuditFilter = AuditFilter()
) -> AuditCharts:
    """The numbers behind the audit page's charts, counted by the store per UTC day."""
    require_admin(services, identity, action="read audit charts")
    base = flt.query()
    sign_ins: dict[date, dict[str, int]] = {}
    by_event = AuditQuery(since=base.since, until=base.until, event=audit.SIGN_IN)
    for row in services.store.audit_per_day(by_event):
        series = f"{row.method or '?'} {row.outcome}"
        day = sign_ins.setdefault(row.day, {})
        day[series] = day.get(series, 0) + row.count
    active: dict[date, int] = {}
    by_event = AuditQuery(since=base.since, until=base.until, event=audit.SESSION_ACTIVE)
    for row in services.store.audit_per_day(by_event):
        # Per method: a user active with two sign-in methods on one day counts twice.
        active[row.day] = active.get(row.day, 0) + row.distinct_targets
    locked = services.store.count_users(UserQuery(status="locked", now=services.now()))
    return AuditCharts(sign_ins, active, locked)


def export_audit_csv(
    services: Services, identity: Identity, flt: AuditFilter = AuditFilter(), *, ip: str = ""
) -> str:
    admin = require_admin(services, identity, action="export audit log")
    query = flt.query()

    def rows() -> Iterator[list[Any]]:
        offset = 0
        while batch := services.store.list_audit(query, offset=offset, limit=EXPORT_BATCH):
            for event in batch:
                row = _audit_row(event)
                row["at"] = event.at.isoformat()
                yield [row[c] for c in AUDIT_COLUMNS]
            offset += len(batch)

    text, count = _csv(AUDIT_COLUMNS, rows())
    _record(services, admin, audit.AUDIT_EXPORTED, ip=ip, detail=f"rows={count}")
    return text


EVENT_NAMES = tuple(
    sorted(
        value
        for name, value in vars(audit).items()
        if name.isupper() and isinstance(value, str) and name not in ("SUCCESS", "FAILURE")
    )
)
