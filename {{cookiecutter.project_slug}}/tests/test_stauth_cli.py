"""manage.py import-stauth / export-stauth, on the SQLite and YAML backends this project has.

Import is a dry run with a per-user report unless --apply; applying twice
changes nothing the second time; plain-text passwords end up hashed with our
pepper; pre-authorized emails become invitations. Export writes a
streamlit-authenticator config (mode 0600) that import reads back.
"""

from __future__ import annotations

import stat

import pytest
import yaml

from auth.domain import passwords
from tests.auth.store.backends import BACKENDS
from tests.auth.store.test_stauth_format import HASH_OF_WALNUT, SAMPLE
from tests.conftest import app_backend
from tests.test_manage import CLI

EXTRA_USERS = """\
    x:
      email: short@example.com
      password: too short a name
    cdoe:
      email: carl.doe@example.com
      first_name: Carl
      password: no roles here 3
      roles: [superuser, editor]
    nopass:
      email: nopass@example.com
"""


def _backends() -> list[str]:
    return sorted({app_backend(), *(b for b in BACKENDS if b in ("sqlite", "yaml"))})


@pytest.fixture(params=_backends())
def cli(request, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_STORE_BACKEND", request.param)
    cli = CLI(tmp_path)
    cli.users()  # first start: the store and the bootstrap admin
    return cli


@pytest.fixture
def team_file(tmp_path):
    path = tmp_path / "team.yaml"
    text = SAMPLE.replace("oauth2:", EXTRA_USERS.rstrip("\n") + "\noauth2:", 1)
    path.write_text(text, encoding="utf-8")
    return path


def lines(out: str) -> dict[str, str]:
    """Report lines by name: {"asmith": "create asmith ...", ...}."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("create", "update", "unchanged", "skip", "invite"):
            found[words[1]] = " ".join(words)
    return found


def test_dry_run_reports_each_user_and_changes_nothing(cli, team_file):
    before = cli.users()
    result = cli.run("import-stauth", str(team_file))
    assert result.code == 0, result.err
    report = lines(result.out)
    assert report["asmith"].startswith("create asmith") and "will be hashed" in report["asmith"]
    assert report["bjones"].startswith("create bjones")
    assert report["x"].startswith("skip x") and "3 to 32 characters" in report["x"]
    assert "superuser" in report["cdoe"] and report["cdoe"].startswith("create")
    assert report["nopass"] == "skip nopass no password in the file"
    assert report["new.person@example.com"].startswith("invite")
    assert "3 to create, 0 to update, 1 to invite; 0 unchanged, 2 skipped." in result.out
    assert "Nothing was changed" in result.out and "dry run" in result.out
    assert cli.users() == before
    services = cli.services()
    assert services.store.get_invitation("new.person@example.com") is None


def test_apply_imports_hashes_plain_text_and_keeps_bcrypt(cli, team_file):
    result = cli.run("import-stauth", str(team_file), "--apply")
    assert result.code == 0, result.err
    assert "3 created, 0 updated, 1 invited; 0 unchanged, 2 skipped." in result.out
    store = cli.services().store
    ada, ben, carl = (store.find_user(n) for n in ("asmith", "bjones", "cdoe"))
    assert ada.password_hash.startswith(passwords.BCRYPT_PREFIX)
    assert passwords.verify_password("plain text secret 1", ada.password_hash, cli.pepper)
    assert ben.password_hash == HASH_OF_WALNUT
    assert passwords.verify_password("walnut cabin 77", ben.password_hash, cli.pepper)
    assert ada.roles == ("admin", "viewer") and ben.roles == ("viewer",)  # none given: default
    assert carl.roles == ("editor",)  # the unknown role is left out
    assert store.get_invitation("new.person@example.com").is_usable(cli.services().now())
    events = {(e.event, e.target) for e in store.list_audit()}
    assert ("user_created", "asmith") in events


def test_applying_twice_changes_nothing_the_second_time(cli, team_file):
    assert cli.run("import-stauth", str(team_file), "--apply").code == 0
    store = cli.services().store
    hashes = {u.username: u.password_hash for u in store.list_users()}
    users = cli.users()
    again = cli.run("import-stauth", str(team_file), "--apply")
    assert again.code == 0, again.err
    assert "0 created, 0 updated, 0 invited; 4 unchanged, 2 skipped." in again.out
    assert cli.users() == users
    assert {u.username: u.password_hash for u in cli.services().store.list_users()} == hashes


def test_a_changed_file_updates_the_user_and_ends_their_sessions(cli, team_file):
    assert cli.run("import-stauth", str(team_file), "--apply").code == 0
    cli.sign_in("bjones")
    data = yaml.safe_load(team_file.read_text())
    data["credentials"]["usernames"]["bjones"]["email"] = "ben@new.example.com"
    data["credentials"]["usernames"]["bjones"]["password"] = "a new plain one 4"
    team_file.write_text(yaml.safe_dump(data))
    dry = cli.run("import-stauth", str(team_file))
    assert lines(dry.out)["bjones"].startswith("update bjones changes: email, password;")
    assert cli.run("import-stauth", str(team_file), "--apply").code == 0
    ben = cli.stored("bjones")
    assert ben.email == "ben@new.example.com"
    assert passwords.verify_password("a new plain one 4", ben.password_hash, cli.pepper)
    assert cli.live_sessions("bjones") == 0


def test_a_user_whose_email_belongs_to_someone_else_is_skipped(cli, team_file):
    cli.create("ada2")
    data = yaml.safe_load(team_file.read_text())
    data["credentials"]["usernames"]["asmith"]["email"] = "ada2@example.com"
    team_file.write_text(yaml.safe_dump(data))
    result = cli.run("import-stauth", str(team_file), "--apply")
    assert lines(result.out)["asmith"] == "skip asmith the email belongs to ada2"
    assert cli.stored("asmith") is None


def test_export_then_import_round_trips_users_and_invitations(cli, tmp_path):
    cli.create("alice", "--role", "editor", "--first-name", "Alice", "--last-name", "Liddell")
    cli.create("bob")
    cli.services().store.add_invitations(["inv@example.com"], now=cli.services().now())
    out = tmp_path / "export" / "config.yaml"
    out.parent.mkdir()
    result = cli.run("export-stauth", str(out))
    assert result.code == 0, result.err
    assert "Wrote 3 user(s)" in result.out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = yaml.safe_load(out.read_text())
    alice = data["credentials"]["usernames"]["alice"]
    assert (alice["first_name"], alice["last_name"], alice["roles"]) == (
        "Alice",
        "Liddell",
        ["editor"],
    )
    assert alice["password"] == cli.stored("alice").password_hash  # the hash as it is
    assert data["pre-authorized"]["emails"] == ["inv@example.com"]
    assert set(data["cookie"]) == {"expiry_days", "key", "name"}

    (tmp_path / "other").mkdir()
    other = CLI(tmp_path / "other")
    other.pepper, other.secrets_file = cli.pepper, cli.secrets_file  # the same app, moved
    other.users()
    imported = other.run("import-stauth", str(out), "--apply")
    assert imported.code == 0, imported.err
    for name in ("alice", "bob"):
        a, b = cli.stored(name), other.stored(name)
        assert (a.email, a.first_name, a.last_name, a.roles, a.password_hash) == (
            b.email,
            b.first_name,
            b.last_name,
            b.roles,
            b.password_hash,
        )
    assert other.services().store.get_invitation("inv@example.com") is not None
    assert "0 created" in other.run("import-stauth", str(out), "--apply").out


def test_export_refuses_to_overwrite_without_force(cli, tmp_path):
    out = tmp_path / "existing.yaml"
    out.write_text("keep me\n")
    cli.run("export-stauth", str(out)).assert_error(1, "--force")
    assert out.read_text() == "keep me\n"
    assert cli.run("export-stauth", str(out), "--force").code == 0
    assert "credentials" in yaml.safe_load(out.read_text())
    cli.run("export-stauth", str(tmp_path)).assert_error(2, "folder")


def test_export_leaves_out_disabled_users_and_says_why(cli, tmp_path):
    cli.create("carol")
    assert cli.run("disable", "carol").code == 0
    out = tmp_path / "out.yaml"
    result = cli.run("export-stauth", str(out))
    assert "Left out: 1 disabled users" in result.out
    assert "carol" not in yaml.safe_load(out.read_text())["credentials"]["usernames"]
    assert "use this app's pepper" in result.out  # alice-like users: peppered hashes


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "not found"),
        ("credentials: [unclosed", "not valid YAML"),
        ("- a list\n", "mapping at the top"),
        ("credentials: !!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
        ("credentials:\n  usernames:\n    bob: {password: {x: 1}}\n", "password must be text"),
        (b"\xff\xfe garbage", "not UTF-8"),
    ],
)
def test_a_bad_file_exits_2_and_changes_nothing(cli, tmp_path, content, fragment):
    path = tmp_path / "bad.yaml"
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_bytes(content)
    before = cli.users()
    cli.run("import-stauth", str(path), "--apply").assert_error(2, fragment)
    assert cli.users() == before
