"""Password hashing: peppered bcrypt, plus the formats we can verify and upgrade.

Stored formats (the prefix names the scheme so hashes can be migrated):

- ``bcrypt_hmac$<bcrypt hash>``: the default. bcrypt over
  base64(HMAC-SHA256(pepper, NFKC(password))). The HMAC step lets passwords of
  any length work (bcrypt 5 raises on input over 72 bytes) and keeps the pepper
  outside the store, so a stolen database alone cannot be cracked offline.
- ``pbkdf2_sha256$<iterations>$<salt>$<digest>``: PBKDF2 over the same prehash.
  Only the template's post-generation hook writes it (cookiecutter's environment
  has no bcrypt); it is upgraded to bcrypt on the next successful sign-in.
- ``$2b$...``: plain bcrypt, as streamlit-authenticator stores it. Verified as is
  (no pepper); over-long attempts simply fail. Upgraded on sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

import bcrypt

BCRYPT_PREFIX = "bcrypt_hmac$"
PBKDF2_PREFIX = "pbkdf2_sha256$"
DEFAULT_ROUNDS = 12
# Every password field is capped (in code points) before any hashing: huge
# inputs would otherwise cost HMAC time and memory for nothing.
MAX_PASSWORD_CHARS = 1024
# For text inputs: Streamlit cuts longer values to max_chars, so the limit is
# one more than the cap. Anything longer stays over the cap and is refused with
# a message; it is never cut down to a password that would be accepted.
PASSWORD_INPUT_CHARS = MAX_PASSWORD_CHARS + 1

# Counts hash computations; tests assert exactly one per sign-in attempt.
hash_calls = 0


def _prehash(password: str, pepper: str) -> bytes:
    normalized = unicodedata.normalize("NFKC", password).encode("utf-8")
    digest = hmac.new(pepper.encode("utf-8"), normalized, hashlib.sha256).digest()
    return base64.b64encode(digest)  # 44 bytes: always inside bcrypt's 72-byte limit


def hash_password(password: str, pepper: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """Return the stored form of a new password."""
    global hash_calls
    hash_calls += 1
    hashed = bcrypt.hashpw(_prehash(password, pepper), bcrypt.gensalt(rounds=rounds))
    return BCRYPT_PREFIX + hashed.decode("ascii")


def pbkdf2_hash(password: str, pepper: str, salt: str, iterations: int = 600_000) -> str:
    """PBKDF2 form of a password; the same formula as hooks/post_gen_project.py."""
    digest = hashlib.pbkdf2_hmac("sha256", _prehash(password, pepper), salt.encode(), iterations)
    return f"{PBKDF2_PREFIX}{iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


def verify_password(password: str, encoded: str, pepper: str) -> bool:
    """Check a password against a stored hash; False for any malformed input, never raises."""
    global hash_calls
    hash_calls += 1
    within_cap = len(password) <= MAX_PASSWORD_CHARS
    if not within_cap:
        # Same answer as a wrong password; the hash below still runs so the
        # time taken does not reveal the length check.
        password = ""
    try:
        if encoded.startswith(BCRYPT_PREFIX):
            ok = bcrypt.checkpw(_prehash(password, pepper), encoded[len(BCRYPT_PREFIX) :].encode())
        elif encoded.startswith(PBKDF2_PREFIX):
            _, iterations, salt, _digest = encoded.split("$", 3)
            expected = pbkdf2_hash(password, pepper, salt, int(iterations))
            ok = hmac.compare_digest(expected.encode(), encoded.encode())
        elif encoded.startswith(("$2b$", "$2a$", "$2y$")):
            raw = unicodedata.normalize("NFKC", password).encode("utf-8")
            # bcrypt 5 raises on more than 72 bytes; such an attempt is simply wrong.
            ok = len(raw) <= 72 and bcrypt.checkpw(raw, encoded.encode())
        else:
            return False
    except ValueError:
        return False
    return ok and within_cap


def needs_rehash(encoded: str, rounds: int = DEFAULT_ROUNDS) -> bool:
    """True when the stored hash is not peppered bcrypt at the configured cost."""
    if not encoded.startswith(BCRYPT_PREFIX):
        return True
    try:
        return int(encoded[len(BCRYPT_PREFIX) :].split("$")[2]) != rounds
    except (IndexError, ValueError):
        return True


def dummy_hash(pepper: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """A valid hash of a random password, for unknown users: same work, same answer."""
    return (
        BCRYPT_PREFIX
        + bcrypt.hashpw(_prehash(pepper, pepper + "x"), bcrypt.gensalt(rounds)).decode()
    )
