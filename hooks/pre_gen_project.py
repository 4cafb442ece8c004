"""Check every answer before cookiecutter writes a single file.

Cookiecutter renders this file with Jinja and runs it as a script from the
(still empty) project folder. The answers reach it in exactly one place,
``RENDERED_CONTEXT`` below, as JSON inside a raw triple-quoted string: Jinja's
``tojson`` escapes every quote and backslash inside a value, so no answer can end
that string or change the code around it. Everything else is plain Python that
tests import from the unrendered template (``read_answers`` is only called by
``main``).

Each free-text answer has one ``validate_<field>(value) -> list[str]`` function
listed in ``VALIDATORS``; an empty list means the answer is fine. The choice and
yes/no answers are checked from the ``_options`` table of cookiecutter.json
(``option_validators``): the values a choice allows and the yes/no questions an
option derives from are listed there once. ``main`` prints every problem on its
own line, prefixed ``ERROR: ``, and exits 1 so that cookiecutter stops and
removes the half-made project.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

# The one line Jinja fills in. Nothing else in this file may contain Jinja syntax.
RENDERED_CONTEXT = r"""{{ cookiecutter|tojson }}"""

PROJECT_NAME_MAX = 80
DESCRIPTION_MAX = 200
AUTHOR_NAME_MAX = 100
EMAIL_MAX = 254
ROLES_MAX = 20
SESSION_DAYS_MIN = 1
# Streamlit refuses its identity cookie after 30 days (AUTH_COOKIE_MAX_AGE_SECONDS).
SESSION_DAYS_MAX = 30

SLUG_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,31}")
ROLE_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# No leading zero: the number is written into settings.toml, where 07 is invalid.
DAYS_RE = re.compile(r"[1-9][0-9]*")

# Folder names that would shadow a module the generated app, its tests or its
# tools import (the standard library is added below).
RESERVED_SLUGS = frozenset(
    {
        # the generated project's own modules and packages
        "app_pages",
        "auth",
        "conftest",
        "main",
        "manage",
        "menu",
        "streamlit_app",
        "test",
        "tests",
        # what the app, its tests and its tools import
        "altair",
        "bcrypt",
        "click",
        "cookiecutter",
        "itsdangerous",
        "jinja2",
        "numpy",
        "pandas",
        "playwright",
        "pyarrow",
        "pytest",
        "ruff",
        "sqlalchemy",
        "starlette",
        "streamlit",
        "toml",
        "tomli",
        "uvicorn",
        "yaml",
    }
)

# Unicode categories refused in free text: control, format (zero-width and
# bidirectional overrides), surrogate, private use, unassigned, line and
# paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def read_context(rendered: str = RENDERED_CONTEXT) -> dict[str, object]:
    """The whole context cookiecutter rendered into this file, private keys included."""
    try:
        context: dict[str, object] = json.loads(rendered)
        return context
    except json.JSONDecodeError as error:
        raise RuntimeError("this hook only runs after cookiecutter has rendered it") from error


def read_answers(rendered: str = RENDERED_CONTEXT) -> dict[str, object]:
    """Return the answers cookiecutter rendered into this file (private keys dropped)."""
    return {key: value for key, value in read_context(rendered).items() if not key.startswith("_")}


def read_options(rendered: str = RENDERED_CONTEXT) -> dict[str, dict[str, Any]]:
    """The `_options` table of cookiecutter.json, as cookiecutter passed it on."""
    options = read_context(rendered).get("_options")
    if not isinstance(options, dict):
        raise RuntimeError("cookiecutter.json has no _options table")
    return options


def _text_problems(field: str, value: object, max_chars: int, *, required: bool) -> list[str]:
    """Problems shared by the free-text answers."""
    if not isinstance(value, str):
        return [f"{field}: must be text, got {type(value).__name__}"]
    problems = []
    if required and not value.strip():
        problems.append(f"{field}: must not be empty")
    if len(value) > max_chars:
        problems.append(f"{field}: must be at most {max_chars} characters, got {len(value)}")
    bad = sorted(
        {f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) in _REFUSED_CATEGORIES}
    )
    if bad:
        problems.append(
            f"{field}: must not contain control or invisible characters ({', '.join(bad)})"
        )
    return problems


def validate_project_name(value: object) -> list[str]:
    return _text_problems("project_name", value, PROJECT_NAME_MAX, required=True)


def validate_description(value: object) -> list[str]:
    return _text_problems("description", value, DESCRIPTION_MAX, required=False)


def validate_author_name(value: object) -> list[str]:
    return _text_problems("author_name", value, AUTHOR_NAME_MAX, required=False)


def validate_project_slug(value: object) -> list[str]:
    if not isinstance(value, str):
        return [f"project_slug: must be text, got {type(value).__name__}"]
    if not SLUG_RE.fullmatch(value):
        return [
            f"project_slug: {value!r} must start with a lowercase letter and contain only "
            "lowercase letters, digits and underscores (at most 64 characters); "
            "set project_slug explicitly if the one derived from project_name does not fit"
        ]
    if keyword.iskeyword(value):
        return [f"project_slug: {value!r} is a Python keyword"]
    if value in RESERVED_SLUGS or value in sys.stdlib_module_names:
        return [f"project_slug: {value!r} would shadow the module {value!r}; choose another name"]
    return []


def validate_admin_username(value: object) -> list[str]:
    if not isinstance(value, str):
        return [f"admin_username: must be text, got {type(value).__name__}"]
    if not USERNAME_RE.fullmatch(value):
        return [
            f"admin_username: {value!r} must be 3 to 32 characters: letters, digits, "
            "'_', '.' or '-', starting with a letter or digit"
        ]
    return []


def validate_admin_email(value: object) -> list[str]:
    if not isinstance(value, str):
        return [f"admin_email: must be text, got {type(value).__name__}"]
    problems = []
    if len(value) > EMAIL_MAX:
        problems.append(f"admin_email: must be at most {EMAIL_MAX} characters, got {len(value)}")
    if any(ch.isspace() or unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value):
        problems.append("admin_email: must not contain spaces or control characters")
    local, at, domain = value.partition("@")
    if not at or "@" in domain or not local:
        problems.append(f"admin_email: {value!r} must be one name, one '@' and a domain")
    elif "." not in domain.strip(".") or domain.startswith(".") or domain.endswith("."):
        problems.append(f"admin_email: the domain {domain!r} must contain a dot, like example.com")
    return problems


def validate_roles(value: object) -> list[str]:
    if not isinstance(value, str):
        return [f"roles: must be text, got {type(value).__name__}"]
    if not value.strip():
        return []  # only 'admin'
    problems = []
    seen: set[str] = set()
    roles = [part.strip() for part in value.split(",")]
    for role in roles:
        if not role:
            problems.append("roles: empty role between commas")
        elif not ROLE_RE.fullmatch(role):
            problems.append(
                f"roles: {role!r} must start with a lowercase letter and contain only "
                "lowercase letters, digits, '_' or '-' (at most 32 characters)"
            )
        elif role in seen:
            problems.append(f"roles: {role!r} is listed twice")
        else:
            seen.add(role)
    total = len(seen | {"admin"})
    if total > ROLES_MAX:
        problems.append(f"roles: at most {ROLES_MAX} roles including 'admin', got {total}")
    return problems


def validate_session_lifetime_days(value: object) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not DAYS_RE.fullmatch(value):
        return [f"session_lifetime_days: {value!r} must be a whole number of days, like 7"]
    days = int(value)
    if not SESSION_DAYS_MIN <= days <= SESSION_DAYS_MAX:
        return [
            f"session_lifetime_days: must be between {SESSION_DAYS_MIN} and "
            f"{SESSION_DAYS_MAX}, got {days}"
        ]
    return []


VALIDATORS: dict[str, Callable[[object], list[str]]] = {
    "project_name": validate_project_name,
    "project_slug": validate_project_slug,
    "description": validate_description,
    "author_name": validate_author_name,
    "admin_username": validate_admin_username,
    "admin_email": validate_admin_email,
    "roles": validate_roles,
    "session_lifetime_days": validate_session_lifetime_days,
}


# --- the choice and yes/no questions: from the _options table ----------------------
#
# cookiecutter.json's `_options` lists per option the values it can take. An
# option is a choice question of the same name, or is derived from yes/no
# questions listed under "any_of" (its values are then "yes" and "no").


def table_problems(options: object) -> list[str]:
    """What is wrong with the shape of the `_options` table (a template bug)."""
    if not isinstance(options, dict) or not options:
        return ["_options: must be a table of options"]
    problems = []
    for name, spec in options.items():
        values = spec.get("values") if isinstance(spec, dict) else None
        if not isinstance(values, dict) or not values:
            problems.append(f"_options.{name}: needs a table of values")
            continue
        if "any_of" in spec and (
            sorted(values) != ["no", "yes"]
            or not isinstance(spec["any_of"], list)
            or not spec["any_of"]
        ):
            problems.append(f"_options.{name}: any_of needs questions and the values yes, no")
        for value, parts in values.items():
            if not isinstance(parts, dict) or set(parts) - {"files", "requirements"}:
                problems.append(f"_options.{name}.{value}: only files and requirements")
            elif not all(
                isinstance(items, list) and all(isinstance(item, str) and item for item in items)
                for items in parts.values()
            ):
                problems.append(f"_options.{name}.{value}: files and requirements are text lists")
    return problems


def _one_of(field: str, allowed: tuple[str, ...]) -> Callable[[object], list[str]]:
    def check(value: object) -> list[str]:
        if value not in allowed:
            return [f"{field}: {value!r} must be one of {', '.join(allowed)}"]
        return []

    check.__name__ = f"validate_{field}"
    return check


def _yes_no(field: str) -> Callable[[object], list[str]]:
    def check(value: object) -> list[str]:
        if not isinstance(value, bool):
            return [
                f"{field}: {value!r} must be yes or no "
                "(cookiecutter 2.7+ turns yes/no into a boolean)"
            ]
        return []

    check.__name__ = f"validate_{field}"
    return check


def option_validators(
    options: dict[str, dict[str, Any]],
) -> dict[str, Callable[[object], list[str]]]:
    """One ``validate_<question>`` per choice or yes/no question named in the table."""
    checks: dict[str, Callable[[object], list[str]]] = {}
    for name, spec in options.items():
        if "any_of" in spec:
            checks.update({question: _yes_no(question) for question in spec["any_of"]})
        else:
            checks[name] = _one_of(name, tuple(spec["values"]))
    return checks


def validators(options: dict[str, dict[str, Any]]) -> dict[str, Callable[[object], list[str]]]:
    """Every question's validator, in question order (free text first, then options)."""
    return VALIDATORS | option_validators(options)


def validate(answers: dict[str, object], options: dict[str, dict[str, Any]]) -> list[str]:
    """Every problem with the answers, in question order; empty when all is well."""
    problems = table_problems(options)
    if problems:
        return problems
    for field, check in validators(options).items():
        if field not in answers:
            problems.append(f"{field}: no answer given")
        else:
            problems.extend(check(answers[field]))
    return problems


def main(rendered: str = RENDERED_CONTEXT) -> int:
    problems = validate(read_answers(rendered), read_options(rendered))
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
