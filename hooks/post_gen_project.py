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
import secrets
import shlex
import shutil
import string
import sys
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

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


def read_answers(rendered: str = RENDERED_CONTEXT) -> dict[str, object]:
    """Return the answers cookiecutter rendered into this file (private keys dropped)."""
    try:
        context = json.loads(rendered)
    except json.JSONDecodeError as error:
        raise RuntimeError("this hook only runs after cookiecutter has rendered it") from error
    return {key: value for key, value in context.items() if not key.startswith("_")}


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
# One function per generation-time choice, registered in REMOVALS under the
# name of its question. Each gets the answer and the project folder and deletes
# the files that belong to the values NOT chosen, with remove_paths(). See
# docs/adding-an-option.md. Example for a future "storage" question:
#
#     def remove_unchosen_storage(choice: object, project_dir: Path) -> None:
#         files = {"sqlite": ["auth/store/sqlite.py"], "yaml": ["auth/store/yaml.py"]}
#         remove_paths(project_dir, unchosen(files, choice))
#
#     REMOVALS = {"storage": remove_unchosen_storage}

Removal = Callable[[object, Path], None]


def remove_unchosen_registration(choice: object, project_dir: Path) -> None:
    """No self-registration: no registration page or module (recovery pages stay)."""
    if choice == "disabled":
        remove_paths(
            project_dir,
            [
                "app_pages/register.py",
                "auth/domain/registration.py",
                "tests/app_pages/test_register.py",
                "tests/auth/domain/test_registration.py",
            ],
        )


def remove_unchosen_captcha(choice: object, project_dir: Path) -> None:
    """No captcha: the module that needs the `captcha` package goes (requirements.txt
    leaves the package out by itself); auth/web/captcha_field.py then draws nothing."""
    if choice == "none":
        remove_paths(project_dir, ["auth/domain/captcha.py", "tests/auth/domain/test_captcha.py"])


# The SQL store serves both "sqlite" and "postgres"; auth/store/stauth_format.py (import and
# export of streamlit-authenticator files) works on every backend and is always kept.
SQL_STORE_FILES = [
    "auth/store/sql.py",
    "auth/store/migrate.py",
    "migrations",
    "tests/auth/store/test_migrations.py",
]
POSTGRES_FILES = ["auth/store/postgres.py", "tests/auth/store/test_postgres.py"]
YAML_STORE_FILES = ["auth/store/yaml_store.py", "tests/auth/store/test_yaml_store.py"]


def remove_unchosen_storage(choice: object, project_dir: Path) -> None:
    files = {
        "sqlite": SQL_STORE_FILES,
        "postgres": SQL_STORE_FILES + POSTGRES_FILES,
        "yaml": YAML_STORE_FILES,
    }
    keep = set(files.get(str(choice), []))
    remove_paths(project_dir, sorted(set(unchosen(files, choice)) - keep))


# Guest sign-in (OpenID Connect): one question per provider, one set of files
# for all of them. The rendered settings.toml lists the chosen providers
# ([guests] providers); with none, the OIDC code and its tests go.
OIDC_FILES = [
    "auth/domain/oidc.py",
    "auth/web/oidc_ui.py",
    "tests/auth/domain/test_oidc.py",
    "tests/app_pages/test_login_oidc.py",
]


def remove_oidc_without_providers(choice: object, project_dir: Path) -> None:
    settings = tomllib.loads((project_dir / "settings.toml").read_text(encoding="utf-8"))
    if not settings.get("guests", {}).get("providers"):
        remove_paths(project_dir, OIDC_FILES)


REMOVALS: dict[str, Removal] = {
    "storage": remove_unchosen_storage,
    "registration": remove_unchosen_registration,
    "captcha": remove_unchosen_captcha,
    # Registered under the last provider question; it looks at all of them.
    "oidc_generic": remove_oidc_without_providers,
}


def unchosen(files_by_value: dict[str, list[str]], choice: object) -> list[str]:
    """The paths of every value except ``choice``."""
    return [path for value, paths in files_by_value.items() if value != choice for path in paths]


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


def remove_unchosen(
    answers: dict[str, object], project_dir: Path, removals: dict[str, Removal] = REMOVALS
) -> None:
    for option, remove in removals.items():
        remove(answers[option], project_dir)


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
    answers = read_answers(rendered)
    project_dir = Path.cwd() if project_dir is None else project_dir
    remove_development_leftovers(project_dir)
    remove_unchosen(answers, project_dir)
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
