"""Finish the generated project: remove what was not chosen, write the secrets, say what's next.

Cookiecutter renders this file with Jinja and runs it as a script from inside
the new project folder. As in ``pre_gen_project.py``, the answers arrive only
through ``RENDERED_CONTEXT`` (JSON in a raw string, quotes and backslashes
escaped by ``tojson``); everything else is plain Python that tests import from
the unrendered template.

Only the standard library is used: cookiecutter's environment has no bcrypt.
The one-time admin password is printed once by ``main`` and written nowhere;
``.streamlit/secrets.toml`` keeps only its PBKDF2 hash (see docs/architecture.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shlex
import shutil
import string
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# The one line Jinja fills in. Nothing else in this file may contain Jinja syntax.
RENDERED_CONTEXT = r"""{{ cookiecutter|tojson }}"""

SECRETS_PATH = Path(".streamlit") / "secrets.toml"
PBKDF2_ITERATIONS = 600_000
ONE_TIME_PASSWORD_LENGTH = 20  # letters and digits only: about 119 bits, easy to copy
SECRET_BYTES = 48  # token_urlsafe(48) is 64 characters

SECRETS_HEADER = """\
# Secrets of this app, written by the project template.
# NEVER commit this file: .gitignore lists it. On Streamlit Community Cloud,
# paste its contents into the app's Settings > Secrets instead.
# Changing cookie_secret signs everyone out; changing pepper makes every
# stored password unusable.
"""


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


# --- secrets -----------------------------------------------------------------


def new_secret() -> str:
    """A random key for signing cookies or peppering passwords (64 characters, 384 bits)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def new_one_time_password(length: int = ONE_TIME_PASSWORD_LENGTH) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def bootstrap_hash(
    password: str, pepper: str, *, salt: str | None = None, iterations: int = PBKDF2_ITERATIONS
) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<base64 digest>`` as in docs/architecture.md.

    prehash = base64(HMAC-SHA256(pepper, NFKC(password)));
    digest = PBKDF2-HMAC-SHA256(prehash, salt, iterations).
    """
    salt = secrets.token_hex(16) if salt is None else salt
    if "$" in salt:
        raise ValueError("the salt must not contain '$'")
    normalized = unicodedata.normalize("NFKC", password).encode("utf-8")
    prehash = base64.b64encode(hmac.new(pepper.encode("utf-8"), normalized, "sha256").digest())
    digest = hashlib.pbkdf2_hmac("sha256", prehash, salt.encode("utf-8"), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (double-quoted, escaped)."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError("lone surrogates cannot be written to TOML")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def render_secrets(
    answers: dict[str, object], *, cookie_secret: str, pepper: str, password_hash: str
) -> str:
    """The text of ``.streamlit/secrets.toml``."""
    sections = {
        "auth": {"cookie_secret": cookie_secret},
        "passwords": {"pepper": pepper},
        "bootstrap_admin": {
            "username": str(answers["admin_username"]),
            "email": str(answers["admin_email"]),
            "password_hash": password_hash,
        },
    }
    lines = [SECRETS_HEADER]
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {toml_string(value)}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def write_secrets(project_dir: Path, text: str) -> Path:
    """Create ``.streamlit/secrets.toml`` readable by the owner only; never overwrite one."""
    path = project_dir / SECRETS_PATH
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        if hasattr(os, "fchmod"):
            os.fchmod(handle.fileno(), 0o600)  # whatever the umask was
        handle.write(text)
    return path


# --- removing what was not chosen ----------------------------------------------
#
# Everything here is driven by the `_options` table of cookiecutter.json (see
# docs/adding-an-option.md): per option and per value, the files that belong to
# that value. An option is either a choice question of the same name, or derived
# from yes/no questions ("any_of"): "yes" when any of them was answered yes.
# Files of the values not chosen are deleted (a file listed under the chosen value
# too is kept), then option markers are stripped from every Python file.


class OptionError(Exception):
    """The `_options` table or an option marker is wrong: a template bug, so the bake stops."""


def chosen_values(answers: dict[str, object], options: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The chosen value of every option in the table."""
    chosen = {}
    for name, spec in options.items():
        if "any_of" in spec:
            value = "yes" if any(answers[question] is True for question in spec["any_of"]) else "no"
        else:
            value = str(answers[name])
        if value not in spec["values"]:
            raise OptionError(f"{name}: {value!r} is not a value of the _options table")
        chosen[name] = str(value)
    return chosen


def unchosen_files(chosen: dict[str, str], options: dict[str, dict[str, Any]]) -> list[str]:
    """The files of every value not chosen, minus those the chosen value also lists."""
    paths: set[str] = set()
    for name, spec in options.items():
        keep = set(spec["values"][chosen[name]].get("files", []))
        for value, files in spec["values"].items():
            if value != chosen[name]:
                paths.update(path for path in files.get("files", []) if path not in keep)
    return sorted(paths)


def remove_paths(project_dir: Path, relative_paths: Iterable[str]) -> None:
    """Delete files or folders inside ``project_dir``; a missing one is a template bug."""
    root = project_dir.resolve()
    for relative in relative_paths:
        target = (root / relative).resolve()
        if target == root or root not in target.parents:
            raise ValueError(f"refusing to remove {relative!r}: not inside the project")
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()  # FileNotFoundError if the template no longer has it


# Option markers in Python files (which are copied without Jinja). A block
#
#     # [option: storage=sqlite,postgres]
#     ...
#     # [end option: storage=sqlite,postgres]
#
# is kept only when the option's chosen value is one of those listed (and the
# block around it, if any, is kept); a line of code ending in
# `  # [option: captcha=image]` is such a block on its own. The marker lines and
# comments always go. Blocks nest; an end marker must repeat its opening
# condition. Anything that looks like a marker but is not one stops the bake.
MARKER_RE = re.compile(r"#\s*\[\s*(end\s+)?option\b")
OPEN_RE = re.compile(r"^\s*# \[option: ([a-z_]+)=([a-z_]+(?:,[a-z_]+)*)\]$")
CLOSE_RE = re.compile(r"^\s*# \[end option: ([a-z_]+)=([a-z_]+(?:,[a-z_]+)*)\]$")
LINE_RE = re.compile(r"^(.*\S)\s+# \[option: ([a-z_]+)=([a-z_]+(?:,[a-z_]+)*)\]$")
_REMOVED = None  # where lines were taken out (blank lines around it are merged)


def _condition(
    name: str, values: str, options: dict[str, dict[str, Any]], where: str
) -> tuple[str, frozenset[str]]:
    if name not in options:
        raise OptionError(f"{where}: unknown option {name!r} in marker")
    listed = values.split(",")
    unknown = [value for value in listed if value not in options[name]["values"]]
    if unknown:
        raise OptionError(f"{where}: option {name!r} has no value {', '.join(unknown)}")
    return name, frozenset(listed)


def strip_markers(
    text: str, chosen: dict[str, str], options: dict[str, dict[str, Any]], where: str = "<text>"
) -> str:
    """``text`` without the blocks of unchosen option values and without marker lines."""
    out: list[str | None] = []
    stack: list[tuple[str, tuple[str, frozenset[str]], bool]] = []  # (condition text, ., kept)
    for number, line in enumerate(text.splitlines(), start=1):
        at = f"{where}:{number}"
        kept = all(keep for _, _, keep in stack)
        if opened := OPEN_RE.match(line):
            name, values = _condition(opened[1], opened[2], options, at)
            stack.append((f"{opened[1]}={opened[2]}", (name, values), chosen[name] in values))
            out.append(_REMOVED)
        elif closed := CLOSE_RE.match(line):
            condition = f"{closed[1]}={closed[2]}"
            if not stack:
                raise OptionError(f"{at}: [end option: {condition}] without an opening marker")
            if stack[-1][0] != condition:
                raise OptionError(
                    f"{at}: [end option: {condition}] closes [option: {stack[-1][0]}]"
                )
            stack.pop()
            out.append(_REMOVED)
        elif one := LINE_RE.match(line):
            name, values = _condition(one[2], one[3], options, at)
            out.append(one[1] if kept and chosen[name] in values else _REMOVED)
        elif MARKER_RE.search(line):
            raise OptionError(f"{at}: malformed option marker: {line.strip()}")
        else:
            out.append(line if kept else _REMOVED)
    if stack:
        raise OptionError(f"{where}: [option: {stack[-1][0]}] is never closed")
    return _merge_blank_lines(out)


def _merge_blank_lines(lines: list[str | None]) -> str:
    """Join kept lines; blank lines around removed ones become the longest run among them.

    So a removed block between two functions leaves the two blank lines a formatter
    wants, and none are left at the start or the end of the file.
    """
    result: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line is not None and line.strip():
            result.append(line)
            index += 1
            continue
        runs: list[int] = []  # a stretch of blank and removed lines
        run, removed = 0, False
        while index < len(lines) and not (lines[index] or "").strip():
            if lines[index] is None:
                removed = True
                runs.append(run)
                run = 0
            else:
                run += 1
            index += 1
        runs.append(run)
        blanks = max(runs) if removed else run
        if result and index < len(lines):
            result.extend([""] * blanks)
    return "\n".join(result) + "\n" if result else ""


def strip_option_markers(
    project_dir: Path, chosen: dict[str, str], options: dict[str, dict[str, Any]]
) -> None:
    """Strip the markers of every Python file in the project (see `strip_markers`)."""
    for path in sorted(project_dir.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if MARKER_RE.search(text):
            where = path.relative_to(project_dir).as_posix()
            path.write_text(strip_markers(text, chosen, options, where), encoding="utf-8")


def remove_unchosen(
    answers: dict[str, object], options: dict[str, dict[str, Any]], project_dir: Path
) -> None:
    """Delete the files of the values not chosen and the code marked for them."""
    chosen = chosen_values(answers, options)
    remove_paths(project_dir, unchosen_files(chosen, options))
    strip_option_markers(project_dir, chosen, options)


# Caches, a local user store or secrets left in the template folder by running
# its tests or the app in place: never part of a new project. Caches go at any
# depth; the store only at the top (settings.toml's data/users.db), so that a
# folder such as tests/data/ is kept.
DEVELOPMENT_LEFTOVERS = ("__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache")
LOCAL_STORE_DIR = "data"


def remove_development_leftovers(project_dir: Path) -> None:
    for name in DEVELOPMENT_LEFTOVERS:
        for path in sorted(project_dir.rglob(name), reverse=True):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
    store = project_dir / LOCAL_STORE_DIR
    if store.is_dir() and not store.is_symlink():
        shutil.rmtree(store)
    (project_dir / ".streamlit" / "secrets.toml").unlink(missing_ok=True)


# --- next steps ----------------------------------------------------------------


def next_steps(answers: dict[str, object], project_dir: Path, password: str) -> str:
    """What to do now; the only place the one-time password is ever shown."""
    folder = shlex.quote(str(project_dir))
    return f"""
Created {answers["project_name"]} in {project_dir}

Next steps:

    cd {folder}
    python3 -m venv .venv
    source .venv/bin/activate          # Windows: .venv\\Scripts\\activate
    pip install -r requirements-dev.txt
    streamlit run streamlit_app.py

Open http://localhost:8501 and sign in as {answers["admin_username"]} with this
one-time password. It is shown only now and stored nowhere (secrets.toml keeps
only its hash); you will choose your own password at first sign-in.

    One-time password: {password}

Run the tests with:

    pytest

.streamlit/secrets.toml holds this app's keys: never commit it (.gitignore
lists it). README.md explains deploying to Streamlit Community Cloud.
"""


def main(rendered: str = RENDERED_CONTEXT, project_dir: Path | None = None) -> int:
    answers, options = read_answers(rendered), read_options(rendered)
    project_dir = Path.cwd() if project_dir is None else project_dir
    remove_development_leftovers(project_dir)
    remove_unchosen(answers, options, project_dir)
    pepper = new_secret()
    password = new_one_time_password()
    text = render_secrets(
        answers,
        cookie_secret=new_secret(),
        pepper=pepper,
        password_hash=bootstrap_hash(password, pepper),
    )
    write_secrets(project_dir, text)
    print(next_steps(answers, project_dir, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
