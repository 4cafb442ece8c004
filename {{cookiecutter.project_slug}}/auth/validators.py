"""Input rules. Each function returns the problems as sentences a person can act on.

An empty list means the value is fine. Pages, routes and manage.py all call
these, so a rule changes in one place.
"""

from __future__ import annotations

import re
import unicodedata

from auth.passwords import MAX_PASSWORD_CHARS

USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,31}")
ROLE_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Deliberately loose (one @, a dot in the domain, no spaces): the only real
# check of an address is a message that arrives.
EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
MAX_EMAIL_CHARS = 254
MAX_NAME_CHARS = 100


def _has_control_chars(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value)


def username_problems(username: str) -> list[str]:
    if not username:
        return ["Enter a username."]
    if not USERNAME_RE.fullmatch(username):
        return [
            "A username has 3 to 32 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        ]
    return []


def email_problems(email: str) -> list[str]:
    if not email:
        return ["Enter an email address."]
    if len(email) > MAX_EMAIL_CHARS or _has_control_chars(email) or not EMAIL_RE.fullmatch(email):
        return ["Enter a valid email address, like name@example.com."]
    return []


def name_problems(name: str, label: str = "Name") -> list[str]:
    if len(name) > MAX_NAME_CHARS:
        return [f"{label} can have at most {MAX_NAME_CHARS} characters."]
    if _has_control_chars(name):
        return [f"{label} contains characters that are not allowed."]
    return []


def role_problems(roles: list[str] | tuple[str, ...], available: tuple[str, ...]) -> list[str]:
    unknown = [r for r in roles if r not in available]
    if unknown:
        return [f"Unknown role: {', '.join(unknown)}. Available: {', '.join(available)}."]
    return []


# A few of the most common passwords of 12+ characters; issue-level policy
# (zxcvbn's frequency lists) extends this check.
_COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "password1234",
        "passwordpassword",
        "qwertyuiopasdf",
        "qwertyuiop123",
        "iloveyou1234",
        "aaaaaaaaaaaa",
        "abcdefghijkl",
        "letmeinletmein",
        "administrator",
        "administrator1",
    }
)


def password_problems(
    password: str, *, min_length: int = 12, context: tuple[str, ...] = ()
) -> list[str]:
    """Length in code points, no composition rules; refuse common and context-derived ones.

    `context` holds words a guesser would try first: username, email, app name.
    """
    length = len(password)
    if length < min_length:
        return [f"Use at least {min_length} characters (you have {length})."]
    if length > MAX_PASSWORD_CHARS:
        return [f"Use at most {MAX_PASSWORD_CHARS} characters."]
    folded = password.casefold()
    if folded in _COMMON or len(set(folded)) <= 2:
        return ["This password is too common; choose one that is harder to guess."]
    for word in context:
        word = word.casefold()
        for part in {word, word.split("@")[0]}:
            if len(part) >= 4 and (part in folded or folded in part):
                return ["This password is too close to your username, email or the app's name."]
    return []
