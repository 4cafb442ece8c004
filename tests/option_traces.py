"""What counts as a trace of an option that was not chosen, in a generated project.

A trace is a line of a generated file that names a module, setting or library of
an option value the project was NOT generated with:

- modules: every file the `_options` table of cookiecutter.json lists under an
  unchosen value (minus the files of the chosen value), named by path
  (`auth/store/sql.py`), by dotted name (`auth.store.sql`) or in a
  `from auth.store import sql` import;
- settings and libraries: the names in `NAMES` below (settings.toml keys,
  `Settings` attributes, library and store class names).

Run as a script to count the traces of a baked project (used to measure the
effect of the option markers): ``python -m tests.option_traces PROJECT KEY=VALUE ...``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import QUESTIONS, load_hook

OPTIONS: dict = QUESTIONS["_options"]
post = load_hook("post_gen_project")

_SQL = [
    r"(?i:\bsqlalchemy\b)",
    r"(?i:\balembic\b)",
    r"\bSQLStore\b",
    r"\bopen_engine\b",
    r"\bcmd_migrate\b",
]
_REGISTRATION = [
    r"\bregistration_domains\b",
    r"\bdefault_roles\b",
    r"\bINVITE_ONLY\b",
    r"\bregister_\w+: str\b",  # its texts (auth/texts/en.py)
    r"\bT\.register_\w+",
]

# Settings, library and class names that belong to one option value.
NAMES: dict[str, dict[str, list[str]]] = {
    "storage": {
        "sqlite": [*_SQL, r"\bsqlite_path\b", r"\bsqlite_engine\b"],
        "postgres": [
            *_SQL,
            r"\bsqlite_path\b",  # a postgres project also runs its tests on SQLite
            r"\bsqlite_engine\b",
            r"(?i:\bdatabase_url\b)",
            r"\[?connections\.sql\]?",
            r"(?i:\bpsycopg\b)",
            r"\bpostgres_(store|engine|server_url)\b",
            r"\bSTAUTH_TEST_POSTGRES_URL\b",
        ],
        "yaml": [r"\byaml_path\b", r"\bYAMLStore\b", r"(?i:\bfilelock\b)"],
    },
    "registration": {"invite_only": _REGISTRATION, "open": _REGISTRATION, "disabled": []},
    "captcha": {
        "image": [
            r"\bCaptchaField\b",
            r"\bsolve_captcha\b",
            r"\bcaptcha_input\b",
            r"_captcha_challenge\b",
            r'\bkind\s*=\s*"image"',
            r'\bcaptcha\s*==\s*"image"',
            r"^captcha>=",
            r"\bcaptcha_(label|caption|needed|failed)\b",  # its texts (auth/texts/en.py)
        ],
        "none": [],
    },
    "guests": {
        "yes": [
            r"\boidc_providers\b",
            r"\bguest_roles\b",
            r"\bguest_email_domains\b",
            r"\bOIDC_PROVIDERS\b",
            r"\[guests\]",
            r"\bst\.login\b",
            r"(?i:\bauthlib\b)",
            r"^\s*redirect_uri\s*=",
            r"\boidc_\w+: str\b",  # its texts (auth/texts/en.py)
            r"\bT\.oidc_\w+",
        ],
        "no": [],
    },
}

SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".venv", "data"}
SKIP_FILES = {".streamlit/secrets.toml"}


def module_patterns(path: str) -> list[str]:
    """Ways code and docs name the file or folder `path` of the generated project."""
    stem = path.removesuffix(".py")
    patterns = [re.escape(path) + r"\b"]
    if "/" not in stem:
        return [rf"\b{re.escape(stem)}\b"]
    dotted = stem.replace("/", ".")
    parent, name = dotted.rsplit(".", 1)
    patterns.append(rf"\b{re.escape(dotted)}\b")
    patterns.append(
        rf"\bfrom\s+{re.escape(parent)}\s+import\s+"
        rf"(\([^)]*\b{re.escape(name)}\b[^)]*\)|[^\n(]*\b{re.escape(name)}\b)"
    )
    return patterns


def unchosen_patterns(answers: dict[str, object]) -> dict[str, list[str]]:
    """Per unchosen option value ("storage=yaml"), the patterns that name it."""
    chosen = post.chosen_values(answers, OPTIONS)
    found: dict[str, list[str]] = {}
    for option, spec in OPTIONS.items():
        value = chosen[option]
        keep_files = set(spec["values"][value].get("files", []))
        keep_names = set(NAMES[option][value])
        for other, other_spec in spec["values"].items():
            if other == value:
                continue
            patterns = [
                pattern
                for path in other_spec.get("files", [])
                if path not in keep_files
                for pattern in module_patterns(path)
            ]
            patterns += [name for name in NAMES[option][other] if name not in keep_names]
            if patterns:
                found[f"{option}={other}"] = patterns
    return found


def project_files(project: Path) -> Iterator[Path]:
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not SKIP_DIRS & set(relative.parts):
            if relative.as_posix() not in SKIP_FILES:
                yield path


def traces(project: Path, answers: dict[str, object]) -> list[str]:
    """Every line naming an unchosen option value: "file:line: option=value: text"."""
    compiled = {
        label: re.compile("|".join(f"(?:{p})" for p in patterns), re.MULTILINE)
        for label, patterns in unchosen_patterns(answers).items()
    }
    found = []
    for path in project_files(project):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        relative = path.relative_to(project).as_posix()
        for label, pattern in compiled.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                snippet = text.splitlines()[line - 1].strip()
                found.append(f"{relative}:{line}: {label}: {snippet[:100]}")
    return sorted(set(found))


def main(argv: list[str]) -> int:
    project = Path(argv[0])
    answers: dict[str, object] = {}
    for item in argv[1:]:
        key, _, value = item.partition("=")
        answers[key] = {"yes": True, "no": False}.get(value, value)
    found = traces(project, answers)
    for line in found:
        print(line)
    per_file = Counter(line.split(":", 1)[0] for line in found)
    print(f"\n{len(found)} traces in {len(per_file)} files")
    for name, count in per_file.most_common():
        print(f"{count:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
