"""The streamlit-authenticator config format: parsed into records, validated, written back."""

from __future__ import annotations

import bcrypt
import pytest

from auth.domain import passwords
from auth.store import stauth_format
from auth.store.stauth_format import FormatError

# A 0.4.x-style config as a team would have it: one plain-text password, one
# bcrypt hash, roles on one user, an OAuth2 section and pre-authorized emails.
HASH_OF_WALNUT = bcrypt.hashpw(b"walnut cabin 77", bcrypt.gensalt(4)).decode()
SAMPLE = f"""\
cookie:
  expiry_days: 30
  key: a_signature_key_for_tests
  name: team_cookie
credentials:
  usernames:
    asmith:
      email: ada.smith@example.com
      failed_login_attempts: 0
      first_name: Ada
      last_name: Smith
      logged_in: false
      password: plain text secret 1
      roles:
      - admin
      - viewer
    bjones:
      email: Ben.Jones@Example.com
      failed_login_attempts: 2
      first_name: Ben
      last_name: Jones
      logged_in: false
      password: {HASH_OF_WALNUT}
oauth2:
  google:
    client_id: an-id
    client_secret: a-secret
    redirect_uri: http://localhost:8501
pre-authorized:
  emails:
  - new.person@example.com
  - NEW.person@example.com
"""


def test_a_04_config_parses_into_users_and_invitations():
    config = stauth_format.parse(stauth_format.load_text(SAMPLE))
    ada, ben = config.users
    assert (ada.username, ada.email, ada.first_name, ada.last_name) == (
        "asmith",
        "ada.smith@example.com",
        "Ada",
        "Smith",
    )
    assert ada.roles == ("admin", "viewer") and ada.has_plain_password
    assert ben.roles == () and not ben.has_plain_password and ben.failed_login_attempts == 2
    assert config.preauthorized == ("new.person@example.com",)  # repeats ignoring case dropped


def test_the_03_form_with_one_name_and_old_section_name_is_read():
    text = """
credentials:
  usernames:
    old:
      email: old@example.com
      name: Old Timer
      password: x
preauthorized:
  emails: [a@example.com]
"""
    config = stauth_format.parse(stauth_format.load_text(text))
    assert config.users[0].first_name == "Old Timer"
    assert config.preauthorized == ("a@example.com",)


# Hashes are made inside the test: a random salt in a test id would differ
# between pytest-xdist workers, which must collect the same tests.
@pytest.mark.parametrize(
    ("make_value", "plain"),
    [
        (lambda: HASH_OF_WALNUT, False),
        (lambda: passwords.hash_password("x", "pepper" * 8, 4), False),
        (lambda: passwords.pbkdf2_hash("x", "pepper" * 8, "salt", 1000), False),
        (lambda: "abc", True),
        (lambda: "$2b$12$tooshort", True),
        (lambda: "bcrypt_hmac$not a hash", True),
    ],
    ids=["bcrypt", "peppered-bcrypt", "pbkdf2", "plain", "short-bcrypt-like", "bad-prefixed"],
)
def test_hashes_we_can_verify_are_told_from_plain_text(make_value, plain):
    value = make_value()
    assert stauth_format.is_hash(value) is not plain


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("credentials: [unclosed", "not valid YAML"),
        ("- a\n- list\n", "mapping at the top"),
        ("credentials:\n  usernames: [a, b]\n", "credentials.usernames must be a mapping"),
        ("credentials:\n  usernames:\n    bob: just text\n", "must be a mapping"),
        ("credentials:\n  usernames:\n    bob: {password: {a: 1}}\n", "password must be text"),
        ("credentials:\n  usernames:\n    bob: {roles: admin: x}\n", "not valid YAML"),
        ("credentials:\n  usernames:\n    bob: {email: [x]}\n", "email must be text"),
        ("credentials:\n  usernames:\n    bob: {failed_login_attempts: -1}\n", "whole number"),
        (
            "credentials:\n  usernames:\n    Bob: {email: a@x.io}\n    bob: {email: b@x.io}\n",
            "differ only in case",
        ),
        (
            "credentials:\n  usernames:\n    a1: {email: A@x.io}\n    b1: {email: a@X.io}\n",
            "share the email",
        ),
        ("credentials:\n  usernames:\n    '': {email: a@x.io}\n", "not a usable username"),
        ("pre-authorized:\n  emails: nobody\n", "must be a list"),
        ("x: !!python/object/apply:os.system ['echo unsafe']\n", "not valid YAML"),
        ("a: &a [1]\nb: *a\ncredentials: *a\n", "credentials must be a mapping"),
        ('credentials:\n  usernames:\n    bob: {email: "a\\u0007@x.io"}\n', "control"),
    ],
)
def test_malformed_or_hostile_configs_are_refused_with_the_place(text, fragment):
    with pytest.raises(FormatError) as refused:
        stauth_format.parse(stauth_format.load_text(text))
    assert fragment in str(refused.value)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(FormatError):
        stauth_format.load_text("a: " + "[" * 100_000 + "]" * 100_000)


def test_user_entry_keeps_keys_we_do_not_own():
    entry = stauth_format.user_entry(
        email="a@example.com",
        first_name="A",
        last_name="B",
        password="h",
        roles=["viewer"],
        base={"otp_secret": "kept", "logged_in": True, "email": "old@example.com"},
    )
    assert entry["otp_secret"] == "kept" and entry["logged_in"] is True
    assert entry["email"] == "a@example.com" and entry["roles"] == ["viewer"]


def test_dump_round_trips_unicode_and_order():
    data = {"cookie": {"name": "c"}, "credentials": {"usernames": {"zoë": {"first_name": "Zoë"}}}}
    text = stauth_format.dump(data)
    assert "Zoë" in text and text.index("cookie") < text.index("credentials")
    assert stauth_format.load_text(text) == data


def test_write_file_is_owner_only_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "out.yaml"
    stauth_format.write_file(path, "a: 1\n")
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        stauth_format.write_file(path, "a: 2\n")
    assert path.read_text() == "a: 1\n"
    stauth_format.write_file(path, "a: 2\n", overwrite=True)
    assert path.read_text() == "a: 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]
