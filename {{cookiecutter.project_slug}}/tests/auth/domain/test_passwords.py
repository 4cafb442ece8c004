import bcrypt
import pytest

from auth.domain import passwords

PEPPER = "p" * 48


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(passwords, "DEFAULT_ROUNDS", 4)


def test_hash_is_prefixed_peppered_bcrypt_and_verifies():
    encoded = passwords.hash_password("plum orbit kettle 42", PEPPER, rounds=4)
    assert encoded.startswith("bcrypt_hmac$$2b$04$")
    assert passwords.verify_password("plum orbit kettle 42", encoded, PEPPER)
    assert not passwords.verify_password("plum orbit kettle 43", encoded, PEPPER)


def test_wrong_pepper_does_not_verify():
    encoded = passwords.hash_password("plum orbit kettle 42", PEPPER, rounds=4)
    assert not passwords.verify_password("plum orbit kettle 42", encoded, "q" * 48)


@pytest.mark.parametrize("length", [72, 73, 200, 1024])
def test_long_passwords_work_and_are_not_truncated(length):
    password = "x" * length
    encoded = passwords.hash_password(password, PEPPER, rounds=4)
    assert passwords.verify_password(password, encoded, PEPPER)
    # bcrypt alone would ignore everything after byte 72; the HMAC step does not.
    assert not passwords.verify_password(password[:-1] + "y", encoded, PEPPER)


def test_unicode_is_normalized_nfkc():
    encoded = passwords.hash_password("ｐａｓｓｗｏｒｄ ｌｏｎｇ", PEPPER, rounds=4)  # fullwidth
    assert passwords.verify_password("password long", encoded, PEPPER)


def test_password_over_the_cap_fails_cleanly_even_if_it_matches():
    password = "z" * (passwords.MAX_PASSWORD_CHARS + 1)
    encoded = passwords.hash_password(password, PEPPER, rounds=4)
    assert passwords.verify_password(password, encoded, PEPPER) is False


def test_plain_bcrypt_from_streamlit_authenticator_verifies_and_73_bytes_fail():
    legacy = bcrypt.hashpw(b"abc123-legacy", bcrypt.gensalt(4)).decode()
    assert passwords.verify_password("abc123-legacy", legacy, PEPPER)
    assert not passwords.verify_password("a" * 73, legacy, PEPPER)  # bcrypt 5 would raise
    assert passwords.needs_rehash(legacy)


def test_pbkdf2_bootstrap_hash_verifies_and_needs_rehash():
    encoded = passwords.pbkdf2_hash("one-time-secret", PEPPER, "salt", iterations=1000)
    assert encoded.startswith("pbkdf2_sha256$1000$salt$")
    assert passwords.verify_password("one-time-secret", encoded, PEPPER)
    assert not passwords.verify_password("one-time-secreT", encoded, PEPPER)
    assert passwords.needs_rehash(encoded)


@pytest.mark.parametrize(
    "encoded",
    ["", "garbage", "bcrypt_hmac$", "bcrypt_hmac$$2b$04$short", "pbkdf2_sha256$x$y", "$2b$04$bad"],
)
def test_malformed_hashes_never_verify_and_never_raise(encoded):
    assert passwords.verify_password("anything at all", encoded, PEPPER) is False


def test_needs_rehash_when_cost_changes():
    encoded = passwords.hash_password("plum orbit kettle 42", PEPPER, rounds=4)
    assert not passwords.needs_rehash(encoded, rounds=4)
    assert passwords.needs_rehash(encoded, rounds=5)


def test_verify_counts_exactly_one_hash():
    encoded = passwords.hash_password("plum orbit kettle 42", PEPPER, rounds=4)
    before = passwords.hash_calls
    passwords.verify_password("wrong", encoded, PEPPER)
    assert passwords.hash_calls == before + 1
