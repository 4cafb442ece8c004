"""manage.py, driven in-process through `main()` against temporary secrets, settings and store.

Every failing command must exit non-zero with one `error:` line on stderr and
leave the store as it was (compared through `list-users --json`).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

import manage
from auth.config import load_settings
from auth.domain import passwords
from auth.domain.services import Services, open_services
from auth.domain.sessions import issue_ticket, start_session
from tests.conftest import PASSWORD, app_backend

PROJECT_DIR = Path(__file__).resolve().parent.parent
BOOTSTRAP_PASSWORD = "first admin one-time 7"
USER_COMMANDS = ["set-roles", "disable", "enable", "delete", "revoke-sessions", "set-password"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def assert_error(self, code: int, *fragments: str) -> None:
        """Exit `code`, one `error:` line on stderr that names the problem, nothing on stdout."""
        assert self.code == code, (self.code, self.out, self.err)
        assert self.err.startswith("error: ") and self.err.count("\n") == 1, self.err
        assert self.out == ""
        for fragment in fragments:
            assert fragment in self.err


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class CLI:
    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.pepper = secrets.token_urlsafe(48)
        self.cookie_secret = secrets.token_urlsafe(48)
        self.backend = app_backend()
        # The store's file: what the tests check exists (or not) after a command.
        self.db = tmp_path / "store" / ("config.yaml" if self.backend == "yaml" else "users.db")
        self.secrets_file = tmp_path / "secrets.toml"
        self.settings_file = tmp_path / "settings.toml"
        # A cheap PBKDF2 cost: the format is the hook's, the cost is not under test here.
        admin_hash = passwords.pbkdf2_hash(BOOTSTRAP_PASSWORD, self.pepper, "salt", 1000)
        self.secrets_file.write_text(
            f'[auth]\ncookie_secret = "{self.cookie_secret}"\n\n'
            f'[passwords]\npepper = "{self.pepper}"\n\n'
            '[bootstrap_admin]\nusername = "admin"\nemail = "admin@example.com"\n'
            f'password_hash = "{admin_hash}"\n',
            encoding="utf-8",
        )
        self.settings_file.write_text(
            '[app]\nname = "Test Portal"\n\n'
            '[roles]\navailable = ["admin", "editor", "viewer"]\n\n'
            "[passwords]\nbcrypt_rounds = 4\n\n"
            # The store's file, as `<backend>_path`.
            f"[storage]\nbackend = '{self.backend}'\n{self.backend}_path = '{self.db}'\n",
            encoding="utf-8",
        )

    def run(self, *argv: str, stdin: str | io.StringIO = "") -> Result:
        out, err = io.StringIO(), io.StringIO()
        stream = stdin if isinstance(stdin, io.StringIO) else io.StringIO(stdin)
        files = ["--secrets", str(self.secrets_file), "--settings", str(self.settings_file)]
        code = manage.main([*files, *argv], stdin=stream, stdout=out, stderr=err)
        return Result(code, out.getvalue(), err.getvalue())

    def users(self) -> list[dict]:
        result = self.run("list-users", "--json", "--limit", "10000")
        assert result.code == 0, result.err
        return json.loads(result.out)

    def user(self, username: str) -> dict:
        return next(u for u in self.users() if u["username"] == username)

    def create(self, username: str, *options: str, password: str = PASSWORD) -> None:
        email = f"{username}@example.com"
        args = ("create-user", username, "--email", email, "--password-stdin", *options)
        result = self.run(*args, stdin=password + "\n")
        assert result.code == 0, result.err

    def services(self) -> Services:
        settings = load_settings(tomllib.loads(self.secrets_file.read_text()), self.settings_file)
        return open_services(settings)

    def stored(self, username: str):
        return self.services().store.find_user(username)

    def sign_in(self, username: str) -> None:
        services = self.services()
        ticket = issue_ticket(services, services.store.find_user(username), origin="http://x")
        assert start_session(services, ticket) is not None

    def live_sessions(self, username: str) -> int:
        services = self.services()
        user = services.store.find_user(username)
        return len(services.store.list_sessions(user.id, now=services.now()))


@pytest.fixture
def cli(tmp_path) -> CLI:
    cli = CLI(tmp_path)
    cli.users()  # first start: creates the store and the bootstrap admin, as the app does
    return cli


@pytest.fixture
def alice(cli) -> str:
    cli.create("alice", "--role", "editor")
    return "alice"


# --- help and usage --------------------------------------------------------------


def test_help_lists_every_command_with_one_line_help(capsys):
    assert manage.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in [
        "create-user",
        "list-users",
        "set-password",
        "set-roles",
        "disable",
        "enable",
        "delete",
        "revoke-sessions",
        "secret",
        "bootstrap-hash",
        "migrate",  # [option: storage=sqlite,postgres]
    ]:
        assert command in out
    assert "exit status" in out


def test_create_user_help_says_the_default_role_is_the_least_privileged(capsys):
    assert manage.main(["create-user", "--help"]) == 0
    assert "least privileged" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["no-such-command"],
        ["create-user", "bob"],  # --email missing
        ["list-users", "--bogus"],
        ["list-users", "--limit", "0"],
        ["list-users", "--limit", "many"],
        ["list-users", "--offset", "-1"],
        ["list-users", "--offset", "1" + "0" * 40],
        ["set-roles", "alice"],  # no role
        ["set-password", "alice"],  # --password-stdin is required
        ["create-user", "bob", "--email", "bob@example.com", "--password-std"],  # no abbreviations
    ],
)
def test_usage_errors_exit_2_with_one_line(cli, alice, argv):
    before = cli.users()
    cli.run(*argv).assert_error(2)
    assert cli.users() == before


def test_file_options_are_accepted_after_the_command_too(cli, alice):
    out, err = io.StringIO(), io.StringIO()
    argv = ["list-users", "--json", "--secrets", str(cli.secrets_file)]
    argv += ["--settings", str(cli.settings_file)]
    assert manage.main(argv, stdin=io.StringIO(), stdout=out, stderr=err) == 0, err.getvalue()
    assert [u["username"] for u in json.loads(out.getvalue())] == ["admin", "alice"]


# --- configuration -----------------------------------------------------------------


def test_the_bootstrap_admin_is_created_on_first_use_like_the_app_does(tmp_path):
    cli = CLI(tmp_path)
    result = cli.run("list-users", "--json")
    assert result.code == 0
    assert "bootstrap admin admin" in result.err
    [admin] = json.loads(result.out)
    assert admin["roles"] == ["admin"] and admin["must_change_password"] is True
    assert passwords.verify_password(
        BOOTSTRAP_PASSWORD, cli.stored("admin").password_hash, cli.pepper
    )


@pytest.mark.parametrize(
    ("secrets_text", "fragment"),
    [
        (None, "not found"),
        ("[auth\n", "not valid TOML"),
        (
            '[auth]\ncookie_secret = "replace-with-output-of-manage.py-secret-xxxxxxxx"\n',
            "placeholder",
        ),
        ('[auth]\ncookie_secret = "short"\n', "shorter than"),
        ("", "cookie_secret"),
    ],
)
def test_missing_or_unusable_secrets_exit_2_and_create_nothing(tmp_path, secrets_text, fragment):
    cli = CLI(tmp_path)
    if secrets_text is None:
        cli.secrets_file.unlink()
    else:
        cli.secrets_file.write_text(secrets_text, encoding="utf-8")
    cli.run("create-user", "bob", "--email", "bob@example.com").assert_error(2, fragment)
    assert not cli.db.exists()


def test_a_missing_settings_file_given_explicitly_exits_2(cli):
    cli.settings_file.unlink()
    cli.run("list-users").assert_error(2, "settings.toml not found")


def test_default_files_are_the_ones_next_to_manage_py():
    assert manage.DEFAULT_SECRETS == PROJECT_DIR / ".streamlit" / "secrets.toml"
    assert manage.DEFAULT_SETTINGS == PROJECT_DIR / "settings.toml"


# --- create-user -------------------------------------------------------------------


def test_create_user_with_password_stdin_keeps_everything_but_the_line_ending(cli):
    password = "  spaced plum orbit 42  "
    result = cli.run(
        "create-user",
        "bob",
        "--email",
        "Bob@Example.com",
        "--role",
        "editor",
        "--role",
        "viewer",
        "--first-name",
        "Bob",
        "--last-name",
        "Marley",
        "--password-stdin",
        stdin=password + "\r\n",
    )
    assert result.code == 0, result.err
    assert password not in result.out
    bob = cli.user("bob")
    assert bob["email"] == "Bob@Example.com" and bob["roles"] == ["editor", "viewer"]
    assert (bob["first_name"], bob["last_name"], bob["status"]) == ("Bob", "Marley", "active")
    assert bob["must_change_password"] is False
    assert passwords.verify_password(password, cli.stored("bob").password_hash, cli.pepper)


def test_create_user_without_password_prints_a_one_time_password_once(cli):
    result = cli.run("create-user", "carol", "--email", "carol@example.com")
    assert result.code == 0, result.err
    one_time = result.out.split("first sign-in:")[1].split()[0]
    assert result.out.count(one_time) == 1 and len(one_time) >= 16
    assert passwords.verify_password(one_time, cli.stored("carol").password_hash, cli.pepper)
    assert cli.user("carol")["must_change_password"] is True


def test_create_user_defaults_to_the_least_privileged_role(cli):
    assert cli.run("create-user", "dave", "--email", "dave@example.com").code == 0
    assert cli.user("dave")["roles"] == ["viewer"]


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [("ALICE", "other@example.com", "username"), ("other", "Alice@EXAMPLE.com", "email")],
)
def test_duplicate_username_or_email_is_refused_ignoring_case(cli, alice, username, email, field):
    before = cli.users()
    result = cli.run("create-user", username, "--email", email)
    result.assert_error(1, f"the {field}", "already taken")
    assert cli.users() == before


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["x", "--email", "x@example.com"], "username has 3 to 32"),
        (["bob smith", "--email", "b@example.com"], "username"),
        (["bob", "--email", "not-an-email"], "valid email"),
        (["bob", "--email", "bob@example.com", "--role", "root"], "Unknown role: root"),
        (["bob", "--email", "bob@example.com", "--role", "Admin"], "Unknown role"),
        (["bob", "--email", "bob@example.com", "--first-name", "x" * 101], "First name"),
        (["bob", "--email", "bob@example.com", "--last-name", "a\nb"], "Last name"),
        (["bob", "--email", "bob@example.com", "--first-name", "\x1b[31mred"], "First name"),
        (["bob", "--email", "bob@exam\u202eple.com"], "valid email"),
    ],
)
def test_bad_create_user_input_exits_2_and_changes_nothing(cli, options, fragment):
    before = cli.users()
    cli.run("create-user", *options, "--password-stdin", stdin=PASSWORD).assert_error(2, fragment)
    assert cli.users() == before


def test_every_problem_is_reported_at_once_on_one_line(cli):
    before = cli.users()
    result = cli.run("create-user", "x", "--email", "nope", "--role", "root", "--first-name", "\0")
    result.assert_error(2, "username", "email", "Unknown role", "First name")
    assert cli.users() == before


# --- passwords ---------------------------------------------------------------------


WEAK_PASSWORDS = [
    ("short", "at least 12"),
    ("x" * 1025, "at most 1024"),
    ("passwordpassword", "too common"),
    ("alice is my password", "too close"),
]


@pytest.mark.parametrize(("password", "fragment"), WEAK_PASSWORDS)
def test_create_user_applies_the_password_policy(cli, password, fragment):
    before = cli.users()
    result = cli.run(
        "create-user", "alice", "--email", "al@example.com", "--password-stdin", stdin=password
    )
    result.assert_error(2, fragment)
    assert cli.users() == before


@pytest.mark.parametrize(("password", "fragment"), WEAK_PASSWORDS)
def test_set_password_applies_the_policy_and_keeps_the_old_one(cli, alice, password, fragment):
    old_hash = cli.stored("alice").password_hash
    cli.run("set-password", "alice", "--password-stdin", stdin=password + "\n").assert_error(
        2, fragment
    )
    assert cli.stored("alice").password_hash == old_hash


@pytest.mark.parametrize("stdin", ["", "\n", "\r\n"])
@pytest.mark.parametrize("command", ["create-user", "set-password"])
def test_empty_stdin_is_refused(cli, alice, command, stdin):
    before = cli.users()
    args = ["alice", "--password-stdin"]
    if command == "create-user":
        args = ["bob", "--email", "bob@example.com", "--password-stdin"]
    cli.run(command, *args, stdin=stdin).assert_error(2, "no password on standard input")
    assert cli.users() == before


def test_a_huge_stdin_is_refused_without_being_read_whole(cli, alice):
    stdin = io.StringIO("y" * 5_000_000)
    result = cli.run("set-password", "alice", "--password-stdin", stdin=stdin)
    result.assert_error(2, "at most 1024")
    assert stdin.tell() < 2000


def test_set_password_changes_it_and_ends_the_users_sessions(cli, alice):
    cli.sign_in("alice")
    new = "a brand new passphrase 9"
    result = cli.run("set-password", "alice", "--password-stdin", stdin=new + "\n")
    assert result.code == 0, result.err
    assert passwords.verify_password(new, cli.stored("alice").password_hash, cli.pepper)
    assert cli.live_sessions("alice") == 0


def test_on_a_terminal_the_password_is_asked_twice_without_echo(cli, alice, monkeypatch):
    answers = iter(["typed passphrase 123", "typed passphrase 123"])
    monkeypatch.setattr("getpass.getpass", lambda prompt, stream=None: next(answers))
    assert cli.run("set-password", "alice", "--password-stdin", stdin=TTY()).code == 0
    hashed = cli.stored("alice").password_hash
    assert passwords.verify_password("typed passphrase 123", hashed, cli.pepper)

    answers = iter(["typed passphrase 123", "typo passphrase 123"])
    cli.run("set-password", "alice", "--password-stdin", stdin=TTY()).assert_error(2, "differ")
    assert cli.stored("alice").password_hash == hashed


# --- list-users --------------------------------------------------------------------


def test_list_users_json_never_contains_a_hash_or_secret(cli, alice):
    cli.run("create-user", "carol", "--email", "carol@example.com")  # one-time password too
    result = cli.run("list-users", "--json")
    assert result.code == 0
    records = json.loads(result.out)
    assert [r["username"] for r in records] == ["admin", "alice", "carol"]
    for record in records:
        assert {"username", "email", "roles", "status"} <= set(record)
    for forbidden in ["hash", "bcrypt", "pbkdf2", "$2b$", cli.pepper, cli.cookie_secret]:
        assert forbidden not in result.out
    for username in ["admin", "alice", "carol"]:
        assert cli.stored(username).password_hash not in result.out


def test_list_users_table_is_for_people(cli, alice):
    result = cli.run("list-users")
    assert result.code == 0
    header, *rows = result.out.splitlines()
    assert header.split()[:4] == ["USERNAME", "EMAIL", "NAME", "ROLES"]
    assert any(r.startswith("alice ") and "editor" in r and "active" in r for r in rows)
    assert "Users 1 to 2 of 2." in result.out
    assert "bcrypt" not in result.out and "pbkdf2" not in result.out


def test_list_users_pages_with_limit_and_offset(cli):
    for name in ["bob", "carol", "dave"]:
        assert cli.run("create-user", name, "--email", f"{name}@example.com").code == 0
    page = json.loads(cli.run("list-users", "--json", "--limit", "2", "--offset", "1").out)
    assert [u["username"] for u in page] == ["bob", "carol"]
    result = cli.run("list-users", "--offset", "10")
    assert result.code == 0 and "No users at offset 10 (4 in all)." in result.out


# --- roles, disable, enable, delete, sessions ----------------------------------------


@pytest.mark.parametrize("command", USER_COMMANDS)
def test_an_unknown_user_exits_1(cli, command):
    before = cli.users()
    args = {"set-roles": ["viewer"], "set-password": ["--password-stdin"], "delete": ["--yes"]}
    result = cli.run(command, "nobody", *args.get(command, []), stdin=PASSWORD)
    result.assert_error(1, "no user named nobody")
    assert cli.users() == before


def test_set_roles_replaces_roles_and_ends_sessions(cli, alice):
    cli.sign_in("alice")
    result = cli.run("set-roles", "alice", "viewer", "admin", "viewer")
    assert result.code == 0, result.err
    assert cli.user("alice")["roles"] == ["admin", "viewer"]
    assert cli.live_sessions("alice") == 0


def test_set_roles_accepts_only_configured_roles(cli, alice):
    before = cli.users()
    cli.run("set-roles", "alice", "editor", "superuser").assert_error(2, "Unknown role: superuser")
    assert cli.users() == before


@pytest.mark.parametrize(
    "argv", [["set-roles", "admin", "viewer"], ["disable", "admin"], ["delete", "admin", "--yes"]]
)
def test_the_last_active_admin_cannot_be_demoted_disabled_or_deleted(cli, alice, argv):
    before = cli.users()
    cli.run(*argv).assert_error(1, "admin is the last active admin")
    assert cli.users() == before


def test_with_a_second_admin_the_first_can_be_demoted(cli, alice):
    assert cli.run("set-roles", "alice", "admin").code == 0
    assert cli.run("set-roles", "admin", "viewer").code == 0
    cli.run("disable", "alice").assert_error(1, "last active admin")


def test_disable_ends_sessions_and_enable_restores_the_user(cli, alice):
    cli.sign_in("alice")
    assert cli.run("disable", "alice").code == 0
    assert cli.user("alice")["status"] == "disabled"
    assert cli.live_sessions("alice") == 0
    assert "already disabled" in cli.run("disable", "alice").out
    assert cli.run("enable", "alice").code == 0
    assert cli.user("alice")["status"] == "active"
    assert "already enabled" in cli.run("enable", "alice").out


def test_revoke_sessions_ends_every_session_and_says_how_many(cli, alice):
    cli.sign_in("alice")
    cli.sign_in("alice")
    result = cli.run("revoke-sessions", "alice")
    assert result.code == 0 and "Ended 2 session(s) of alice." in result.out
    assert cli.live_sessions("alice") == 0


def test_delete_with_yes_deletes_the_user(cli, alice):
    assert cli.run("delete", "ALICE", "--yes").code == 0
    assert [u["username"] for u in cli.users()] == ["admin"]


def test_delete_without_yes_and_without_a_terminal_refuses(cli, alice):
    before = cli.users()
    cli.run("delete", "alice", stdin="alice\n").assert_error(2, "pass --yes")
    assert cli.users() == before


def test_delete_on_a_terminal_asks_to_type_the_username(cli, alice):
    before = cli.users()
    result = cli.run("delete", "alice", stdin=TTY("alic\n"))
    assert result.code == 1 and "Type the username" in result.err
    assert "error: the confirmation did not match" in result.err
    assert cli.users() == before
    result = cli.run("delete", "alice", stdin=TTY("alice\n"))
    assert result.code == 0 and "Deleted alice." in result.out
    assert [u["username"] for u in cli.users()] == ["admin"]


# --- hostile input -----------------------------------------------------------------


def test_sql_looking_input_is_stored_verbatim_and_harms_nothing(cli, alice):
    name = "Robert'); DROP TABLE users;--"
    email = "o'reilly--;drop@example.com"
    options = ["--email", email, "--first-name", name, "--password-stdin"]
    result = cli.run("create-user", "bobby", *options, stdin=PASSWORD)
    assert result.code == 0, result.err
    bobby = cli.user("bobby")
    assert (bobby["email"], bobby["first_name"]) == (email, name)
    assert [u["username"] for u in cli.users()] == ["admin", "alice", "bobby"]


@pytest.mark.parametrize(
    "username", ["' OR '1'='1", "alice' --", "alice; DELETE FROM users", "%", "_lice", "*"]
)
def test_sql_looking_usernames_find_no_one(cli, alice, username):
    before = cli.users()
    cli.run("delete", username, "--yes").assert_error(1, "no user named")
    assert cli.users() == before


@pytest.mark.parametrize(
    "argv",
    [
        ["create-user", "a" * 10_000, "--email", "a@example.com"],
        ["create-user", "bob", "--email", "b" * 10_000 + "@example.com"],
        ["create-user", "bob", "--email", "bob@example.com", "--first-name", "n" * 10_000],
        ["create-user", "bob", "--email", "bob@example.com", "--role", "r" * 10_000],
        ["set-roles", "alice", "r" * 10_000],
        ["disable", "a" * 10_000],
        ["list-users", "--limit", "9" * 10_000],
        ["x" * 10_000],
    ],
)
def test_huge_arguments_are_refused_with_a_short_line(cli, alice, argv):
    before = cli.users()
    result = cli.run(*argv)
    assert result.code in (1, 2)
    result.assert_error(result.code)
    assert len(result.err) < 800
    assert cli.users() == before


@pytest.mark.parametrize(
    "argv",
    [
        ["disable", "bad\x1b[2Jname\n\r"],
        ["set-roles", "alice", "\x1b]0;pwned\x07"],
        ["create-user", "bob", "--email", "bob@example.com", "--role", "\u202eadmin"],
        ["no\x1bcommand"],
    ],
)
def test_control_characters_are_escaped_in_error_messages(cli, alice, argv):
    before = cli.users()
    result = cli.run(*argv)
    result.assert_error(result.code)
    assert result.code in (1, 2)
    assert not any(ch in result.err[:-1] for ch in "\x1b\x07\r\n\u202e")
    assert cli.users() == before


@pytest.mark.parametrize(
    "argv",
    [
        ["create-user", "bob", "--email", "bob\udcff@example.com"],
        ["create-user", "bob", "--email", "bob@example.com", "--last-name", "\udcff"],
        ["disable", "alice\udcff"],
    ],
)
def test_undecodable_arguments_are_refused(cli, alice, argv):
    before = cli.users()
    cli.run(*argv).assert_error(2, "not valid UTF-8")
    assert cli.users() == before


# --- secret, bootstrap-hash, migrate -----------------------------------------------


def test_secret_prints_a_fresh_value_the_settings_accept(tmp_path, capsys):
    assert manage.main(["secret"]) == 0
    assert manage.main(["secret"]) == 0
    first, second = capsys.readouterr().out.split()
    assert first != second and len(first) == 64
    cli = CLI(tmp_path)
    keys = {"auth": {"cookie_secret": first}, "passwords": {"pepper": second}}
    settings = load_settings(keys, cli.settings_file)
    assert (settings.cookie_secret, settings.pepper) == (first, second)
    assert cli.run("secret").code == 0  # needs no settings at all


def test_bootstrap_hash_prints_a_secrets_line_that_verifies_with_the_pepper(cli):
    result = cli.run("bootstrap-hash")
    assert result.code == 0, result.err
    line = next(x for x in result.out.splitlines() if x.startswith("password_hash = "))
    encoded = tomllib.loads(f"[bootstrap_admin]\n{line}")["bootstrap_admin"]["password_hash"]
    assert encoded.startswith("pbkdf2_sha256$600000$")
    one_time = result.out.split("shown only now:")[1].split()[0]
    assert result.out.count(one_time) == 1
    assert passwords.verify_password(one_time, encoded, cli.pepper)
    assert not passwords.verify_password(one_time, encoded, secrets.token_urlsafe(48))


# [option: storage=sqlite,postgres]
def test_migrate_creates_the_schema_and_reports_its_revision(tmp_path):
    from auth.store.migrate import head_revision

    cli = CLI(tmp_path)
    assert not cli.db.exists()
    result = cli.run("migrate")
    assert result.code == 0, result.err
    assert str(cli.db) in result.out
    assert f"revision {head_revision()}, the newest" in result.out
    assert cli.db.exists()
    assert cli.run("migrate").code == 0  # idempotent
    assert [u["username"] for u in cli.users()] == ["admin"]


# [end option: storage=sqlite,postgres]
# --- as a program --------------------------------------------------------------------


def test_manage_py_runs_as_a_program(cli):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    run = [sys.executable, str(PROJECT_DIR / "manage.py")]
    files = ["--secrets", str(cli.secrets_file), "--settings", str(cli.settings_file)]
    helped = subprocess.run(
        [*run, "--help"], capture_output=True, text=True, cwd=cli.tmp_path, env=env, timeout=60
    )
    assert helped.returncode == 0 and "create-user" in helped.stdout
    created = subprocess.run(
        [*run, *files, "create-user", "erin", "--email", "erin@example.com", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=cli.tmp_path,
        env=env,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    assert "Created erin" in created.stdout
    assert passwords.verify_password(PASSWORD, cli.stored("erin").password_hash, cli.pepper)
