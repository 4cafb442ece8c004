"""Manage the users of this app from a terminal: `python manage.py --help` lists the commands.

    python manage.py create-user alice --email alice@example.com --role editor
    printf '%s\\n' "$NEW_PASSWORD" | python manage.py set-password alice --password-stdin
    python manage.py list-users --json

Settings come from `settings.toml` and `.streamlit/secrets.toml` next to this
file (`--settings PATH` and `--secrets PATH` choose others), read as the app
reads them. Commands that use the store open it and create the bootstrap
admin when there is no active admin, as the app does when it starts.

Exit status:

    0  done
    1  could not be done: no such user, username or email already taken, the
       last active admin, confirmation declined, the store cannot be used
    2  bad usage or input: unknown command or option, an invalid value, a
       password the policy refuses, nothing on standard input, a missing or
       unusable secrets or settings file

Every failure prints one line, `error: ...`, on standard error and changes
nothing: input is validated before anything is written (see auth/domain/users.py).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import secrets
import string
import sys
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TextIO

from auth.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from auth.domain.services import Services
    from auth.store import User
    from auth.store.stauth_format import StauthConfig

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_SECRETS = PROJECT_DIR / ".streamlit" / "secrets.toml"
DEFAULT_SETTINGS = PROJECT_DIR / "settings.toml"

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

SECRET_BYTES = 48  # token_urlsafe(48): 64 characters, 384 bits
SALT_BYTES = 16
PBKDF2_ITERATIONS = 600_000
ONE_TIME_PASSWORD_LENGTH = 20  # letters and digits: about 119 bits, easy to copy
LONG_WORD = 200  # error messages shorten any longer word (a hostile 10k-character argument)
CELL_WIDTH = 40

EXIT_HELP = """\
exit status: 0 done; 1 could not be done (no such user, already taken, last
active admin, declined, store unavailable); 2 bad usage or input (invalid
value, password policy, empty standard input, missing or unusable secrets).
Errors are one line on standard error, starting with "error:"."""


class CommandError(Exception):
    """A problem to report in one line; `code` is the exit status."""

    code = EXIT_FAILED


class UsageError(CommandError):
    code = EXIT_USAGE


# --- output --------------------------------------------------------------------


def clean(text: str, *, long_word: int = LONG_WORD) -> str:
    """`text` safe for a terminal line: control characters escaped, huge words shortened."""
    escaped = "".join(
        ascii(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch
        for ch in text
    )
    return " ".join(
        word if len(word) <= long_word else f"{word[:long_word]}...[{len(word)} characters]"
        for word in escaped.split(" ")
    )


def _cell(value: str) -> str:
    value = clean(value, long_word=10**9)
    return value if len(value) <= CELL_WIDTH else value[: CELL_WIDTH - 3] + "..."


def _table(headers: list[str], rows: list[list[str]]) -> str:
    rows = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    )


# --- input ---------------------------------------------------------------------


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _require_text(value: str, what: str) -> None:
    """Refuse lone surrogates (undecodable bytes in argv or stdin): they cannot be stored."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} is not valid UTF-8 text") from None


def _read_line(stdin: IO[str], limit: int) -> str:
    try:
        return stdin.readline(limit)
    except UnicodeDecodeError:
        raise UsageError("standard input is not valid UTF-8 text") from None


def read_password(ctx: Context) -> str:
    """One line from standard input without its line ending; a hidden prompt on a terminal."""
    from auth.domain.passwords import MAX_PASSWORD_CHARS

    if _isatty(ctx.stdin):
        password = getpass.getpass("New password: ", stream=ctx.err)
        if getpass.getpass("Repeat it: ", stream=ctx.err) != password:
            raise UsageError("the two passwords differ; nothing was changed")
    else:
        # Bounded read: an over-long line is refused by the policy, not held in memory.
        password = _read_line(ctx.stdin, MAX_PASSWORD_CHARS + 3)
        if password.endswith("\n"):
            password = password[:-1]
            if password.endswith("\r"):
                password = password[:-1]
    if not password:
        raise UsageError(
            "no password on standard input: give it as one line, "
            "e.g. printf '%s\\n' \"$PASSWORD\" | python manage.py ..."
        )
    _require_text(password, "the password")
    return password


# --- context -------------------------------------------------------------------


@dataclass
class Context:
    stdin: TextIO
    out: TextIO
    err: TextIO
    # Set by _run before a command that needs them runs; imported only when one does.
    settings: Settings = field(init=False)
    services: Services = field(init=False)

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def note(self, text: str) -> None:
        print(f"note: {clean(text)}", file=self.err)


Handler = Callable[[Context, argparse.Namespace], int]  # a command: its exit status


def read_settings(secrets_file: str | None, settings_file: str | None) -> Settings:
    """Settings as the app builds them, from the two files; UsageError names what to fix."""
    secrets_path = DEFAULT_SECRETS if secrets_file is None else Path(secrets_file)
    settings_path = DEFAULT_SETTINGS if settings_file is None else Path(settings_file)
    try:
        raw = secrets_path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"{secrets_path} not found: copy .streamlit/secrets.toml.example there and fill it "
            "in (python manage.py secret makes the keys), or pass --secrets PATH"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read {secrets_path}: {exc.strerror}") from None
    try:
        secrets_dict = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{secrets_path} is not valid TOML: {exc}") from None
    if settings_file is not None and not settings_path.is_file():
        raise UsageError(f"{settings_path} not found")
    try:
        return load_settings(secrets_dict, settings_path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read {settings_path}: {exc.strerror}") from None
    except (AttributeError, TypeError, ValueError) as exc:
        raise UsageError(
            f"{secrets_path} or {settings_path} has a value of the wrong type ({exc})"
        ) from None


@contextlib.contextmanager
def open_services(ctx: Context) -> Iterator[Services]:
    """Store and services as the app opens them, bootstrap admin included."""
    from auth.domain.bootstrap import ensure_bootstrap_admin
    from auth.domain.services import Services, password_hasher
    from auth.store import StoreError, open_store

    settings = ctx.settings
    failures: tuple[type[BaseException], ...] = (StoreError, *_store_outages())
    opening_failures: tuple[type[BaseException], ...] = (OSError, *failures)
    try:
        store = open_store(settings, password_hasher(settings))
    except opening_failures as exc:
        raise CommandError(
            f"cannot open the user store ({settings.storage_location}): {_first_line(exc)}"
        ) from None
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    try:
        services = Services(settings=settings, store=store)
        created = ensure_bootstrap_admin(services)
        if created is not None:
            ctx.note(f"created the bootstrap admin {created.username} from [bootstrap_admin]")
        yield services
    except failures as exc:
        raise CommandError(
            f"the user store ({settings.storage_location}) failed: {_first_line(exc)}"
        ) from None
    finally:
        engine = getattr(store, "engine", None)
        if engine is not None:
            engine.dispose()


def _store_outages() -> tuple[type[BaseException], ...]:
    """Errors of the store's own library: a database that fails, a lock not granted."""
    # [option: storage=sqlite,postgres]
    from sqlalchemy.exc import SQLAlchemyError

    return (SQLAlchemyError, TimeoutError)
    # [end option: storage=sqlite,postgres]
    return (TimeoutError,)  # [option: storage=yaml]


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc) or type(exc).__name__
    return text.splitlines()[0]


# --- commands ------------------------------------------------------------------


def _user(ctx: Context, username: str) -> User:
    from auth.domain import users
    from auth.store import UserNotFound

    try:
        return users.get_by_username(ctx.services, username)
    except UserNotFound:
        raise CommandError(f"no user named {username}") from None


def cmd_create_user(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import users

    password = read_password(ctx) if args.password_stdin else None
    roles = args.roles or [ctx.settings.roles[-1]]
    user, one_time = users.create_user(
        ctx.services,
        username=args.username,
        email=args.email,
        roles=roles,
        password=password,
        first_name=args.first_name,
        last_name=args.last_name,
        method="cli",
    )
    ctx.say(f"Created {user.username} <{clean(user.email)}> with roles: {', '.join(user.roles)}.")
    if one_time is not None:
        ctx.say(
            f"One-time password for {user.username}, shown only now; "
            "they must choose a new one at first sign-in:"
        )
        ctx.say()
        ctx.say(f"    {one_time}")
        ctx.say()
    return EXIT_OK


def cmd_list_users(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain.users import public_record

    store, now = ctx.services.store, ctx.services.now()
    records = [
        public_record(u, now) for u in store.list_users(offset=args.offset, limit=args.limit)
    ]
    if args.json:
        ctx.say(json.dumps(records, indent=2))
        return EXIT_OK
    total = store.count_users()
    if not records:
        ctx.say(f"No users at offset {args.offset} ({total} in all)." if total else "No users yet.")
        return EXIT_OK
    rows = [
        [
            r["username"],
            r["email"],
            f"{r['first_name']} {r['last_name']}".strip(),
            ", ".join(r["roles"]) or "-",
            r["status"] + (", must change password" if r["must_change_password"] else ""),
            (r["last_login_at"] or "never")[:16].replace("T", " "),
        ]
        for r in records
    ]
    ctx.say(_table(["USERNAME", "EMAIL", "NAME", "ROLES", "STATUS", "LAST SIGN-IN (UTC)"], rows))
    first = args.offset + 1
    ctx.say(f"\nUsers {first} to {args.offset + len(records)} of {total}.")
    return EXIT_OK


def cmd_set_password(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import users

    user = _user(ctx, args.username)
    users.set_password(ctx.services, user, read_password(ctx), method="cli")
    ctx.say(f"Changed the password of {user.username} and ended their sessions.")
    return EXIT_OK


def cmd_set_roles(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import users

    user = _user(ctx, args.username)
    updated = users.set_roles(ctx.services, user, args.roles, method="cli")
    ctx.say(f"Roles of {updated.username}: {', '.join(updated.roles)}. Their sessions were ended.")
    return EXIT_OK


def cmd_disable(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import users

    user = _user(ctx, args.username)
    if user.disabled:
        ctx.say(f"{user.username} was already disabled.")
        return EXIT_OK
    users.set_disabled(ctx.services, user, True, method="cli")
    ctx.say(f"Disabled {user.username} and ended their sessions.")
    return EXIT_OK


def cmd_enable(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import users

    user = _user(ctx, args.username)
    if not user.disabled:
        ctx.say(f"{user.username} was already enabled.")
        return EXIT_OK
    users.set_disabled(ctx.services, user, False, method="cli")
    ctx.say(f"Enabled {user.username}.")
    return EXIT_OK


def cmd_delete(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import users

    user = _user(ctx, args.username)
    if not args.yes:
        if not _isatty(ctx.stdin):
            raise UsageError(f"refusing to delete {user.username} without confirmation: pass --yes")
        ctx.err.write(
            f"Delete {user.username} and their sessions? This cannot be undone.\n"
            "Type the username to confirm: "
        )
        ctx.err.flush()
        if _read_line(ctx.stdin, 256).strip() != user.username:
            raise CommandError("the confirmation did not match; nothing was deleted")
    users.delete_user(ctx.services, user, method="cli")
    ctx.say(f"Deleted {user.username}.")
    return EXIT_OK


def cmd_revoke_sessions(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import users

    user = _user(ctx, args.username)
    count = users.revoke_sessions(ctx.services, user, method="cli")
    ctx.say(f"Ended {count} session(s) of {user.username}.")
    return EXIT_OK


def new_secret() -> str:
    """A random key for cookie_secret or pepper: 64 characters, 384 bits."""
    return secrets.token_urlsafe(SECRET_BYTES)


def cmd_secret(ctx: Context, args: argparse.Namespace) -> int:
    ctx.say(new_secret())
    return EXIT_OK


def new_one_time_password(length: int = ONE_TIME_PASSWORD_LENGTH) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def cmd_bootstrap_hash(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain.passwords import pbkdf2_hash

    password = new_one_time_password()
    encoded = pbkdf2_hash(
        password, ctx.settings.pepper, secrets.token_urlsafe(SALT_BYTES), PBKDF2_ITERATIONS
    )
    ctx.say("In .streamlit/secrets.toml, replace password_hash under [bootstrap_admin] with:")
    ctx.say()
    ctx.say("[bootstrap_admin]")
    ctx.say(f'password_hash = "{encoded}"')
    ctx.say()
    ctx.say(
        "It is used only while the store has no active admin; that admin must choose a new "
        "password at first sign-in. One-time password, shown only now:"
    )
    ctx.say()
    ctx.say(f"    {password}")
    ctx.say()
    return EXIT_OK


# [option: storage=sqlite,postgres]
def cmd_migrate(ctx: Context, args: argparse.Namespace) -> int:
    """Opening the store already migrated it (under a lock); report where it stands."""
    from auth.store.migrate import current_revision
    from auth.store.sql import SQLStore

    store = ctx.services.store
    if not isinstance(store, SQLStore):  # cannot happen: this project's backend is SQL
        raise CommandError("this store has no SQL schema to migrate")
    ctx.say(
        f"The schema of the {ctx.settings.storage_location} is at revision "
        f"{current_revision(store.engine)}, the newest ({store.count_users()} users)."
    )
    return EXIT_OK


# [end option: storage=sqlite,postgres]
def _read_stauth(path_text: str) -> StauthConfig:
    """A streamlit-authenticator config from FILE, validated; UsageError says what is wrong."""
    from auth.store import stauth_format

    path = Path(path_text)
    try:
        return stauth_format.parse(stauth_format.read_file(path))
    except FileNotFoundError:
        raise UsageError(f"{path} not found") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except stauth_format.FormatError as exc:
        raise UsageError(f"{path}: {exc}") from None


def cmd_import_stauth(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain import stauth_sync as sync

    config = _read_stauth(args.file)
    plan = sync.plan_import(ctx.services, config)
    if args.apply:
        plan = sync.apply_import(ctx.services, plan)
        ctx.say(f"Imported {args.file}:")
    else:
        ctx.say(f"Import from {args.file} (dry run: nothing is written; add --apply to write):")
    ctx.say()
    width = max((len(step.name) for step in plan.steps), default=0)
    for step in plan.steps:
        line = f"  {step.action:<10} {clean(step.name, long_word=60):<{min(width, 40)}}"
        ctx.say((line + "  " + clean("; ".join(step.reasons))).rstrip())
    if not plan.steps:
        ctx.say("  (no users and no pre-authorized emails in the file)")
    ctx.say()
    counts = {action: plan.count(action) for action in ("create", "update", "invite")}
    done = ("created", "updated", "invited")
    if not args.apply:
        done = ("to create", "to update", "to invite")
    summary = ", ".join(f"{n} {label}" for n, label in zip(counts.values(), done, strict=True))
    ctx.say(f"{summary}; {plan.count('unchanged')} unchanged, {plan.count('skip')} skipped.")
    if not args.apply and (counts["create"] or counts["update"] or counts["invite"]):
        ctx.say("Nothing was changed. Run again with --apply to do this.")
    return EXIT_OK


def cmd_export_stauth(ctx: Context, args: argparse.Namespace) -> int:
    from auth.domain.stauth_sync import export_config
    from auth.store import stauth_format

    path = Path(args.file)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name such as {path / 'config.yaml'}")
    if path.exists() and not args.force:
        raise CommandError(f"{path} exists: pass --force to replace it")
    result = export_config(ctx.services)
    try:
        stauth_format.write_file(path, stauth_format.dump(result.config), overwrite=args.force)
    except FileExistsError:
        raise CommandError(f"{path} exists: pass --force to replace it") from None
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None
    ctx.say(f"Wrote {result.exported} user(s) to {path} (readable by you only).")
    for text in result.left_out:
        ctx.say(f"Left out: {text}.")
    if result.peppered:
        ctx.say(
            f"{result.peppered} password hash(es) use this app's pepper: streamlit-authenticator "
            "cannot verify them (those users would need a new password there); "
            "import-stauth reads them back as they are."
        )
    return EXIT_OK


# --- parser --------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage problem is one `error:` line (raised, printed by main)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: python {self.prog} --help)")


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


def _add_file_options(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--secrets",
        metavar="PATH",
        default=default,
        help="secrets file (default: .streamlit/secrets.toml next to manage.py)",
    )
    parser.add_argument(
        "--settings",
        metavar="PATH",
        default=default,
        help="settings file (default: settings.toml next to manage.py)",
    )


STDIN_LINE_HELP = (
    "read the password from the first line of standard input (a hidden prompt on a "
    "terminal); the password policy applies"
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="manage.py",
        description="Manage the users of this app.",
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    _add_file_options(parser, None)
    commands = parser.add_subparsers(
        dest="command", title="commands", metavar="COMMAND", parser_class=_Parser
    )

    def command(
        name: str, summary: str, handler: Handler, needs: str = "store"
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=EXIT_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        # Also accepted after the command; SUPPRESS keeps the global value otherwise.
        _add_file_options(sub, argparse.SUPPRESS)
        sub.set_defaults(handler=handler, needs=needs)
        return sub

    sub = command(
        "create-user",
        "Create a user; without --password-stdin a one-time password is printed once.",
        cmd_create_user,
    )
    sub.add_argument("username", help="3 to 32 letters, digits, '.', '_' or '-'")
    sub.add_argument("--email", required=True, help="unique, like the username (ignoring case)")
    sub.add_argument(
        "--role",
        dest="roles",
        action="append",
        metavar="ROLE",
        help="a role from [roles] available in settings.toml; repeat for several "
        "(default: the last role listed there, the least privileged)",
    )
    sub.add_argument("--first-name", default="", metavar="NAME")
    sub.add_argument("--last-name", default="", metavar="NAME")
    sub.add_argument(
        "--password-stdin",
        action="store_true",
        help=STDIN_LINE_HELP + "; without it a one-time password is generated, printed "
        "once, and must be changed at first sign-in",
    )

    sub = command(
        "list-users", "List users as a table, or as JSON (never any hash).", cmd_list_users
    )
    sub.add_argument("--json", action="store_true", help="a JSON array of objects")
    sub.add_argument("--limit", type=_bounded_int(1, 10_000), default=50, metavar="N")
    sub.add_argument("--offset", type=_bounded_int(0, 2**62), default=0, metavar="M")

    sub = command(
        "set-password",
        "Set a user's password (policy applies) and end their sessions.",
        cmd_set_password,
    )
    sub.add_argument("username")
    sub.add_argument("--password-stdin", action="store_true", required=True, help=STDIN_LINE_HELP)

    sub = command(
        "set-roles", "Replace a user's roles (the last active admin stays admin).", cmd_set_roles
    )
    sub.add_argument("username")
    sub.add_argument("roles", nargs="+", metavar="ROLE", help="roles from settings.toml")

    sub = command("disable", "Disable a user and end their sessions.", cmd_disable)
    sub.add_argument("username")

    sub = command("enable", "Enable a disabled user.", cmd_enable)
    sub.add_argument("username")

    sub = command("delete", "Delete a user and their sessions (asks to confirm).", cmd_delete)
    sub.add_argument("username")
    sub.add_argument("--yes", action="store_true", help="do not ask to type the username")

    sub = command("revoke-sessions", "End every session of a user.", cmd_revoke_sessions)
    sub.add_argument("username")

    command("secret", "Print a new random value for cookie_secret or pepper.", cmd_secret, "none")
    command(
        "bootstrap-hash",
        "Print a new [bootstrap_admin] password_hash and its one-time password.",
        cmd_bootstrap_hash,
        "settings",
    )
    # [option: storage=sqlite,postgres]
    command("migrate", "Create or update the user store's tables.", cmd_migrate)
    # [end option: storage=sqlite,postgres]

    sub = command(
        "import-stauth",
        "Import users and pre-authorized emails from a streamlit-authenticator config "
        "(a dry run with a report unless --apply).",
        cmd_import_stauth,
    )
    sub.add_argument("file", metavar="FILE", help="the config.yaml of streamlit-authenticator")
    sub.add_argument(
        "--apply", action="store_true", help="write the changes (default: only report them)"
    )

    sub = command(
        "export-stauth",
        "Write the users as a streamlit-authenticator config (hashes as they are, mode 0600).",
        cmd_export_stauth,
    )
    sub.add_argument("file", metavar="FILE", help="the file to write")
    sub.add_argument("--force", action="store_true", help="replace FILE if it exists")
    return parser


# --- main ----------------------------------------------------------------------


def _check_arguments(args: argparse.Namespace) -> None:
    for name, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                _require_text(item, name.replace("_", "-"))


def _run(ctx: Context, args: argparse.Namespace) -> int:
    handler: Handler = args.handler
    if args.needs == "none":
        return handler(ctx, args)
    ctx.settings = read_settings(args.secrets, args.settings)
    if args.needs == "settings":
        return handler(ctx, args)

    from auth.domain.users import ValidationError
    from auth.store import DuplicateUser, LastAdminError, UserNotFound

    with open_services(ctx) as services:
        ctx.services = services
        try:
            return handler(ctx, args)
        except ValidationError as exc:
            raise UsageError(" ".join(exc.problems)) from None
        except DuplicateUser as exc:
            value = args.email if exc.field == "email" else args.username
            raise CommandError(
                f"the {exc.field} {value} is already taken (compared ignoring case)"
            ) from None
        except LastAdminError:
            raise CommandError(
                f"{args.username} is the last active admin and cannot be disabled, "
                "demoted or deleted: make another user admin first"
            ) from None
        except UserNotFound:
            raise CommandError(f"no user named {args.username} (any more)") from None


def main(
    argv: list[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; returns the exit status (see the module docstring)."""
    ctx = Context(
        stdin=stdin if stdin is not None else sys.stdin,
        out=stdout if stdout is not None else sys.stdout,
        err=stderr if stderr is not None else sys.stderr,
    )
    parser = build_parser()
    try:
        try:
            with contextlib.redirect_stdout(ctx.out), contextlib.redirect_stderr(ctx.err):
                args = parser.parse_args(argv)
        except SystemExit as exc:  # --help
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        if args.command is None:
            raise UsageError("choose a command (python manage.py --help lists them)")
        _check_arguments(args)
        return _run(ctx, args)
    except CommandError as exc:
        print(f"error: {clean(str(exc))}", file=ctx.err)
        return exc.code
    except KeyboardInterrupt:
        print("error: interrupted; nothing more was changed", file=ctx.err)
        return 130


def run_as_program() -> int:
    try:
        return main()
    except BrokenPipeError:  # e.g. `python manage.py list-users | head`
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(run_as_program())
