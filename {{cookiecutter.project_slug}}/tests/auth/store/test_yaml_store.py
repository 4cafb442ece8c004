"""The YAML store keeps a real streamlit-authenticator config usable, and never loses data.

The contract suite (test_contract.py) runs on this backend too; these tests are
about the file: what we read from a team's config, what we write back, where
our own data goes, and what a damaged or hostile file does (a clear error,
nothing changed).
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from auth.domain import passwords
from auth.store import AuditEvent, NewUser, Session, Ticket, UserChanges, stauth_format
from auth.store.yaml_store import StoreFileError, YAMLStore
from tests.auth.store.test_stauth_format import HASH_OF_WALNUT, SAMPLE

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
PEPPER = "a pepper only these tests know, long enough"


def hasher(password: str) -> str:
    return passwords.hash_password(password, PEPPER, 4)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def open_store(path, **kw) -> YAMLStore:
    store = YAMLStore(path, password_hasher=hasher, **kw)
    store.create_schema()
    return store


def raw(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_stauth_config_loads_with_names_roles_and_hashes(config):
    store = open_store(config)
    ada, ben = store.find_user("asmith"), store.find_user("BEN.JONES@example.com")
    assert (ada.first_name, ada.last_name, ada.roles, ada.is_admin) == (
        "Ada",
        "Smith",
        ("admin", "viewer"),
        True,
    )
    assert (ben.username, ben.email, ben.failed_logins) == ("bjones", "Ben.Jones@Example.com", 2)
    assert ben.password_hash == HASH_OF_WALNUT  # an existing bcrypt hash is kept as it is
    assert passwords.verify_password("walnut cabin 77", ben.password_hash, PEPPER)
    assert store.get_invitation("new.person@example.com").is_usable(NOW)
    assert store.count_active_admins() == 1


def test_plain_text_passwords_are_hashed_on_load_and_written_back(config):
    store = open_store(config)
    written = raw(config)["credentials"]["usernames"]
    assert "plain text secret 1" not in config.read_text()
    assert written["asmith"]["password"].startswith(passwords.BCRYPT_PREFIX)
    assert written["bjones"]["password"] == HASH_OF_WALNUT
    ada = store.find_user("asmith")
    assert passwords.verify_password("plain text secret 1", ada.password_hash, PEPPER)
    # A second process opening the file finds nothing left to hash.
    before = config.read_bytes()
    open_store(config)
    assert config.read_bytes() == before


def test_a_password_typed_in_by_hand_later_is_hashed_too(config):
    store = open_store(config)
    data = raw(config)
    data["credentials"]["usernames"]["bjones"]["password"] = "typed by hand 2"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    ben = store.find_user("bjones")
    assert passwords.verify_password("typed by hand 2", ben.password_hash, PEPPER)
    assert "typed by hand 2" not in config.read_text()


def test_plain_text_without_a_hasher_is_refused_and_the_file_kept(config):
    before = config.read_bytes()
    with pytest.raises(StoreFileError, match="plain-text passwords.*asmith"):
        YAMLStore(config).create_schema()
    assert config.read_bytes() == before


def test_unknown_sections_and_keys_survive_writes(config):
    data = raw(config)
    data["api_key"] = "kept-as-is"
    data["credentials"]["usernames"]["bjones"]["otp_secret"] = "per-user extra"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    store = open_store(config)
    ben = store.find_user("bjones")
    store.update_user(ben.id, UserChanges(first_name="Benjamin", roles=("editor",)))
    store.create_user(
        NewUser(username="carol", email="carol@example.com", password_hash="h", roles=()), now=NOW
    )
    after = raw(config)
    assert after["api_key"] == "kept-as-is"
    assert after["oauth2"]["google"]["client_id"] == "an-id"
    assert after["cookie"] == {
        "expiry_days": 30,
        "key": "a_signature_key_for_tests",
        "name": "team_cookie",
    }
    entry = after["credentials"]["usernames"]["bjones"]
    assert entry["otp_secret"] == "per-user extra"
    assert (entry["first_name"], entry["roles"]) == ("Benjamin", ["editor"])
    assert list(after) == list(data)  # sections keep their order


def test_the_file_stays_a_stauth_config_and_our_data_go_beside_it(config, tmp_path):
    store = open_store(config)
    carol = store.create_user(
        NewUser(
            username="Carol",
            email="Carol@Example.com",
            password_hash="h",
            roles=("viewer",),
            must_change_password=True,
        ),
        now=NOW,
    )
    store.update_user(carol.id, UserChanges(disabled=True))
    entry = raw(config)["credentials"]["usernames"]["carol"]  # stauth matches lower case
    assert set(entry) == {
        "email",
        "first_name",
        "last_name",
        "password",
        "roles",
        "failed_login_attempts",
        "logged_in",
    }
    assert entry["logged_in"] is False and entry["failed_login_attempts"] == 0
    sidecar = json.loads((tmp_path / "config.state.json").read_text())["users"]["carol"]
    assert sidecar["username"] == "Carol" and sidecar["disabled"] is True
    again = open_store(config).find_user("carol")
    assert again.username == "Carol" and again.disabled and again.must_change_password


def test_sidecar_data_survive_a_new_process(config):
    store = open_store(config)
    ada = store.find_user("asmith")
    until = NOW + timedelta(minutes=5)
    store.record_login_failure(ada.id, now=NOW, max_attempts=1, lockout_until=until)
    store.link_identity(ada.id, "google", "sub-1")
    store.add_invitations(["x@example.com"], now=NOW, expires_at=NOW + timedelta(days=2))
    store.add_session(Session("sid", ada.id, "password", NOW, NOW, NOW + timedelta(days=1)))
    store.add_ticket(Ticket("tid", ada.id, "password", "http://x", NOW + timedelta(seconds=60)))
    store.hit_counter("k", now=NOW, window=timedelta(hours=1))
    store.add_audit(AuditEvent(at=NOW, event="sign_in", outcome="success", target="asmith"))

    other = open_store(config)
    assert other.get_user(ada.id).locked_until == until
    assert other.find_user_by_identity("google", "sub-1").id == ada.id
    assert other.get_invitation("x@example.com").expires_at == NOW + timedelta(days=2)
    assert other.get_session("sid").user_id == ada.id
    assert other.redeem_ticket("tid", now=NOW).user_id == ada.id
    assert other.hit_counter("k", now=NOW, window=timedelta(hours=1)) == 2
    assert [e.target for e in other.list_audit()] == ["asmith"]


def test_mixed_case_usernames_in_the_file_keep_their_case_and_become_lower_case_keys(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        f"credentials:\n  usernames:\n    JSmith:\n      email: j@example.com\n"
        f"      password: {HASH_OF_WALNUT}\n",
        encoding="utf-8",
    )
    store = open_store(path)
    user = store.find_user("jsmith")
    assert user.username == "JSmith"
    store.update_user(user.id, UserChanges(first_name="J"))
    assert list(raw(path)["credentials"]["usernames"]) == ["jsmith"]
    assert open_store(path).find_user("JSMITH").username == "JSmith"


def test_hand_edits_of_users_and_pre_authorized_emails_are_picked_up(config):
    store = open_store(config)
    ada_id = store.find_user("asmith").id
    data = raw(config)
    data["credentials"]["usernames"]["dora"] = {"email": "dora@example.com", "password": "x y z"}
    data["pre-authorized"]["emails"] = ["later@example.com"]
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    dora = store.find_user("dora")
    assert dora is not None and dora.id > ada_id and dora.roles == ()
    assert store.find_user("asmith").id == ada_id  # ids of others do not move
    assert [i.email for i in store.list_invitations()] == ["later@example.com"]


def test_session_touches_do_not_rewrite_the_users_file(config, tmp_path):
    store = open_store(config)
    ada = store.find_user("asmith")
    store.add_session(Session("sid", ada.id, "password", NOW, NOW, NOW + timedelta(days=1)))
    users_file = config.stat()
    sidecar = (tmp_path / "config.state.json").stat()
    for minute in range(1, 4):
        store.touch_session("sid", now=NOW + timedelta(minutes=minute))
    assert config.stat().st_mtime_ns == users_file.st_mtime_ns
    assert (tmp_path / "config.state.json").stat().st_mtime_ns == sidecar.st_mtime_ns
    assert store.get_session("sid").last_seen_at == NOW + timedelta(minutes=3)


def test_an_unchanged_file_is_parsed_once_and_a_changed_one_again(config, monkeypatch):
    store = open_store(config)
    parses = []
    original = YAMLStore._parse_users
    monkeypatch.setattr(
        YAMLStore, "_parse_users", lambda self, *a: parses.append(1) or original(self, *a)
    )
    for _ in range(20):
        assert store.find_user("asmith") is not None
    assert parses == []
    writer = open_store(config)  # another process, in effect
    parses.clear()
    writer.create_user(
        NewUser(username="eve", email="e@example.com", password_hash="h", roles=()), now=NOW
    )
    assert store.find_user("eve") is not None
    # The writer compared the bytes under its lock (its copy was current); the reader
    # saw a new file identity and parsed once.
    assert len(parses) == 1


def test_files_are_written_whole_with_a_separate_lock_and_no_leftovers(config, tmp_path):
    config.chmod(0o640)
    store = open_store(config)
    ada = store.find_user("asmith")
    store.add_session(Session("sid", ada.id, "password", NOW, NOW, NOW + timedelta(days=1)))
    store.add_audit(AuditEvent(at=NOW, event="sign_in", outcome="success"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "config.audit.jsonl",
        "config.sessions.json",
        "config.state.json",
        "config.yaml",
        "config.yaml.lock",
    ]
    assert stat.S_IMODE(config.stat().st_mode) == 0o640  # the team's choice is kept
    for name in ("config.audit.jsonl", "config.sessions.json", "config.state.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_a_new_store_is_an_empty_stauth_config_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "sub" / "config.yaml"
    open_store(path)
    data = raw(path)
    assert data["credentials"] == {"usernames": {}} and data["pre-authorized"] == {"emails": []}
    assert set(data["cookie"]) == {"expiry_days", "key", "name"} and len(data["cookie"]["key"]) > 30
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- damaged and hostile files: a clear error, nothing changed ------------------------

BAD_CONFIGS = {
    "not yaml": "credentials: {usernames: [unclosed",
    "half written": "credentials:\n  usernames:\n    asmith: {email: a@example.com, pass",
    "a list at the top": "- credentials\n",
    "users as a list": "credentials:\n  usernames:\n  - asmith\n",
    "python object tag": "credentials: !!python/object/apply:os.system ['touch {marker}']\n",
    "deeply nested": "credentials: " + "[" * 5000 + "]" * 5000 + "\n",
    "case twins": "credentials:\n  usernames:\n    Ann: {email: a@x.io}\n    ann: {}\n",
    "not utf-8": b"credentials:\n  usernames:\n    \xff\xfe: {}\n",
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "credentials: {usernames: {bob: {email: *c}}}\n",
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_a_bad_config_gives_a_clear_error_and_changes_nothing(tmp_path, name):
    folder = tmp_path / "store"
    folder.mkdir()
    path = folder / "config.yaml"
    marker = tmp_path / "marker"
    content = BAD_CONFIGS[name]
    if isinstance(content, str):
        content = content.replace("{marker}", str(marker)).encode()
    path.write_bytes(content)
    before = files(folder)
    store = YAMLStore(path, password_hasher=hasher)
    with pytest.raises(StoreFileError) as refused:
        store.create_schema()
    assert "config.yaml" in str(refused.value) and "nothing was changed" in str(refused.value)
    with pytest.raises(StoreFileError):
        store.find_user("asmith")  # every use says so, not only the first
    after = files(folder)
    after.pop("config.yaml.lock", None)
    assert after == before
    assert not marker.exists()


@pytest.mark.parametrize("sidecar", ["config.state.json", "config.sessions.json"])
@pytest.mark.parametrize(
    "content",
    ['{"users": {"asmith": {"id": [1]}}, "sessions": {"sid": 3}}', '{"users": {"asmith": {"id'],
    ids=["wrong shape", "half written"],
)
def test_a_damaged_sidecar_is_refused_and_kept(config, tmp_path, sidecar, content):
    store = open_store(config)
    ada = store.find_user("asmith")
    store.add_session(Session("sid", ada.id, "password", NOW, NOW, NOW + timedelta(days=1)))
    path = tmp_path / sidecar
    path.write_text(content)
    before = files(tmp_path)
    reopened = YAMLStore(config, password_hasher=hasher)
    with pytest.raises(StoreFileError, match=sidecar.replace(".", r"\.")):
        reopened.create_schema()
    assert files(tmp_path) == before


def test_the_store_works_again_once_the_file_is_fixed(config):
    store = open_store(config)
    good = config.read_bytes()
    config.write_text("credentials: [broken\n")
    with pytest.raises(StoreFileError):
        store.find_user("asmith")
    config.write_bytes(good)
    assert store.find_user("asmith").first_name == "Ada"


def test_a_torn_audit_line_from_a_crash_is_dropped_and_numbering_goes_on(config, tmp_path):
    store = open_store(config)
    store.add_audit(AuditEvent(at=NOW, event="sign_in", outcome="success", target="a"))
    with open(tmp_path / "config.audit.jsonl", "ab") as log:
        log.write(b'{"id": 2, "at": "2030-01-01T12:')  # the writer died here
    reader = open_store(config)
    assert [e.target for e in reader.list_audit()] == ["a"]
    reader.add_audit(AuditEvent(at=NOW, event="sign_out", outcome="success", target="b"))
    events = open_store(config).list_audit()
    assert [(e.id, e.target) for e in events] == [(2, "b"), (1, "a")]
    assert (tmp_path / "config.audit.jsonl").read_bytes().count(b"\n") == 2


def test_a_lock_held_elsewhere_makes_a_write_wait_then_fail_clearly(config):
    from filelock import FileLock

    store = open_store(config, lock_timeout=0.2)
    with FileLock(str(config.with_name("config.yaml.lock"))):
        with pytest.raises(TimeoutError):
            store.hit_counter("k", now=NOW, window=timedelta(minutes=1))
        assert store.find_user("asmith") is not None  # reads of unchanged files need no lock


def test_the_mtime_of_a_new_version_always_moves_forward(config):
    store = open_store(config)
    ada = store.find_user("asmith")
    seen = set()
    for attempt in range(20):
        store.update_user(ada.id, UserChanges(first_name=f"A{attempt % 2}"))  # same size every time
        st = os.stat(config)
        identity = (st.st_ino, st.st_mtime_ns, st.st_size)
        assert identity not in seen
        seen.add(identity)


def test_export_format_helpers_render_what_the_store_writes(config):
    store = open_store(config)
    parsed = stauth_format.parse(raw(config))
    assert {u.username for u in parsed.users} == {u.username for u in store.list_users()}


def test_a_symlinked_config_is_updated_where_it_really_is(config, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "team.yaml"
    config.rename(real)
    config.symlink_to(real)
    store = open_store(config)
    ada = store.find_user("asmith")
    store.update_user(ada.id, UserChanges(first_name="Adaline"))
    assert config.is_symlink()
    assert raw(real)["credentials"]["usernames"]["asmith"]["first_name"] == "Adaline"
    assert (shared / "team.state.json").exists()
