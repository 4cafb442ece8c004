"""Input rules. Each function returns the problems as sentences a person can act on.

An empty list means the value is fine. Pages, routes and manage.py all call
these, so a rule changes in one place.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from zxcvbn import zxcvbn

from auth.domain.passwords import MAX_PASSWORD_CHARS
from auth.texts import T

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
        return [T.username_missing]
    if not USERNAME_RE.fullmatch(username):
        return [T.username_invalid]
    return []


def email_problems(email: str) -> list[str]:
    if not email:
        return [T.email_missing]
    if len(email) > MAX_EMAIL_CHARS or _has_control_chars(email) or not EMAIL_RE.fullmatch(email):
        return [T.email_invalid]
    return []


def name_problems(name: str, label: str = T.name_field) -> list[str]:
    if len(name) > MAX_NAME_CHARS:
        return [T.name_too_long.format(label=label, max_chars=MAX_NAME_CHARS)]
    if _has_control_chars(name):
        return [T.name_not_allowed.format(label=label)]
    return []


# Self-registration is stricter than an admin: names typed by anonymous visitors
# are letters and marks of any script, spaces, and ' ’ - . only, so that nobody
# can register markup, links or look-alike text that admins later read.
_NAME_PUNCTUATION = frozenset("'’-. ")


def strict_name_problems(name: str, label: str = T.name_field) -> list[str]:
    problems = name_problems(name, label)
    if problems:
        return problems
    if any(
        ch not in _NAME_PUNCTUATION and unicodedata.category(ch)[0] not in ("L", "M") for ch in name
    ):
        return [T.name_letters_only.format(label=label)]
    return []


def role_problems(roles: list[str] | tuple[str, ...], available: tuple[str, ...]) -> list[str]:
    unknown = [r for r in roles if r not in available]
    if unknown:
        return [T.role_unknown.format(unknown=", ".join(unknown), available=", ".join(available))]
    return []


# zxcvbn scores 0-4; 3 means "safely unguessable" online (about 10^8 guesses or more).
MIN_STRENGTH = 3
# zxcvbn refuses longer input (its matching is slow past it); the first 72
# characters carry the weakness of a longer password that repeats or pads them.
ZXCVBN_MAX_CHARS = 72
# zxcvbn keeps the user inputs in a module-level dictionary while it scores:
# two threads (Streamlit sessions) scoring at once must not see each other's.
_zxcvbn_lock = threading.Lock()
STRENGTH_LABELS = (
    T.strength_very_weak,
    T.strength_weak,
    T.strength_fair,
    T.strength_strong,
    T.strength_very_strong,
)


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (very weak) to 4 (very strong)
    label: str
    warning: str  # zxcvbn's reason, "" when none
    suggestions: tuple[str, ...]
    uses_context: bool = False  # built on the username, email, names or app name


def _context_words(context: tuple[str, ...]) -> list[str]:
    """The context and its parts: "alice.liddell@example.com" -> alice, liddell, example, ..."""
    words: list[str] = []
    for item in context:
        item = item.casefold()
        words.append(item)
        words.extend(w for w in re.split(r"[^\w]+", item) if len(w) >= 3)
    return list(dict.fromkeys(w for w in words if w))


def password_strength(password: str, *, context: tuple[str, ...] = ()) -> Strength:
    """How hard `password` is to guess, as zxcvbn sees it (knowing the context words)."""
    if not password:
        return Strength(0, STRENGTH_LABELS[0], "", ())
    with _zxcvbn_lock:
        result = zxcvbn(password[:ZXCVBN_MAX_CHARS], user_inputs=_context_words(context))
    score = int(result["score"])
    feedback = result.get("feedback") or {}
    return Strength(
        score=score,
        label=STRENGTH_LABELS[score],
        warning=feedback.get("warning") or "",
        suggestions=tuple(feedback.get("suggestions") or ()),
        uses_context=any(
            m.get("dictionary_name") == "user_inputs" for m in result.get("sequence", ())
        ),
    )


def strength_hint(password: str, *, min_length: int = 12, context: tuple[str, ...] = ()) -> str:
    """One line for under a password field while it is typed ("" for an empty field)."""
    if not password:
        return ""
    problems = password_problems(password, min_length=min_length, context=context)
    if problems:
        return T.password_not_accepted.format(problem=problems[0])
    strength = password_strength(password, context=context)
    return T.password_strength.format(strength=strength.label)


def password_problems(
    password: str, *, min_length: int = 12, context: tuple[str, ...] = ()
) -> list[str]:
    """Length in code points, no composition rules; refuse guessable ones, saying why.

    `context` holds words a guesser would try first: username, email, names, app name.
    """
    length = len(password)
    if length < min_length:
        return [T.password_too_short.format(min_length=min_length, length=length)]
    if length > MAX_PASSWORD_CHARS:
        return [T.password_too_long.format(max_chars=MAX_PASSWORD_CHARS)]
    folded = password.casefold()
    if len(set(folded)) <= 2:
        return [T.password_repeats]
    for word in context:
        word = word.casefold()
        for part in {word, word.split("@")[0]}:
            if len(part) >= 4 and (part in folded or folded in part):
                return [T.password_personal]
    strength = password_strength(password, context=context)
    if strength.score < MIN_STRENGTH:
        if strength.uses_context:
            return [T.password_personal]
        # zxcvbn's own advice, in English whatever the language of the pages.
        why = " ".join((strength.warning, *strength.suggestions)).strip()
        return [f"{T.password_guessable} {why}".strip()]
    return []
