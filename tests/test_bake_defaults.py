"""Bake the template with its default answers and check what comes out."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import OPTIONS, QUESTIONS, REPO_ROOT, TEMPLATE_DIR, explain, load_hook, run

# Files every generated project has besides the ones docs/architecture.md lists.
ALWAYS = [
    ".gitignore",
    ".streamlit/secrets.toml",
    "README.md",
    "pyproject.toml",
    "requirements-dev.txt",
    "requirements.txt",
    "settings.toml",
]
# Local caches that may sit in a working copy of the template; never in a clone.
CACHE_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".venv"}
LEFTOVERS = [b"{{ cookiecutter", b"{{cookiecutter", b"{%", b"cookiecutter."]


def contract_paths() -> list[str]:
    """The paths in the 'generated project' table of docs/architecture.md."""
    text = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## The generated project", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)
    assert paths, "the table of the generated project is missing from docs/architecture.md"
    return paths


def project_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not CACHE_DIRS & set(path.relative_to(root).parts)
    )


@pytest.fixture
def baked(bake):
    return bake()


@pytest.mark.parametrize("relative", ALWAYS + contract_paths())
def test_expected_file_exists(baked, relative):
    path = baked.project_dir / relative
    if relative.endswith("/"):
        assert path.is_dir(), f"missing folder {relative}"
    else:
        assert path.is_file(), f"missing file {relative}"


def test_project_folder_is_named_after_the_slug(baked):
    assert baked.project_dir.name == "team_portal"


def test_nothing_is_left_unrendered(baked):
    problems = []
    for path in project_files(baked.project_dir):
        relative = path.relative_to(baked.project_dir)
        if "{{" in str(relative) or "cookiecutter" in str(relative):
            problems.append(f"{relative}: unrendered name")
        content = path.read_bytes()
        problems += [f"{relative}: contains {m.decode()!r}" for m in LEFTOVERS if m in content]
    assert problems == []


def test_python_files_are_copied_byte_for_byte(baked, template_repo):
    """``_copy_without_render`` keeps Jinja away from the app's Python code: each file is
    the template's, byte for byte, once the option markers are stripped."""
    post = load_hook("post_gen_project")
    template_dir = template_repo / TEMPLATE_DIR.name
    defaults = {
        key: value[0] if isinstance(value, list) else value for key, value in QUESTIONS.items()
    }
    chosen = post.chosen_values(defaults, OPTIONS)
    # From the bake's side: the post-generation hook removes the modules of
    # unchosen options (e.g. auth/store/postgres.py), so not every source is there.
    copies = [path for path in project_files(baked.project_dir) if path.suffix == ".py"]
    assert copies
    stripped = 0
    for copy in copies:
        source = (template_dir / copy.relative_to(baked.project_dir)).read_text(encoding="utf-8")
        if post.MARKER_RE.search(source):
            source = post.strip_markers(source, chosen, OPTIONS)
            stripped += 1
        assert copy.read_bytes() == source.encode("utf-8"), copy
    assert stripped, "the default bake strips option markers from some files"


def test_secrets_have_the_documented_sections(baked):
    values = baked.secrets()
    assert set(values) == {"auth", "passwords", "bootstrap_admin"}
    assert set(values["auth"]) == {"cookie_secret"}
    assert set(values["passwords"]) == {"pepper"}
    assert values["bootstrap_admin"]["username"] == "admin"
    assert values["bootstrap_admin"]["email"] == "admin@example.com"
    assert re.fullmatch(
        r"pbkdf2_sha256\$600000\$[0-9a-f]{32}\$[A-Za-z0-9+/]{43}=",
        values["bootstrap_admin"]["password_hash"],
    )
    cookie_secret = values["auth"]["cookie_secret"]
    pepper = values["passwords"]["pepper"]
    assert len(cookie_secret.encode()) >= 32
    assert len(pepper.encode()) >= 32
    assert cookie_secret != pepper


def test_secrets_file_says_never_commit_and_is_owner_only(baked):
    path = baked.project_dir / ".streamlit" / "secrets.toml"
    assert "never commit" in path.read_text(encoding="utf-8").lower()
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_bake_gets_fresh_secrets(bake):
    first, second = bake().secrets(), bake().secrets()
    assert first["auth"]["cookie_secret"] != second["auth"]["cookie_secret"]
    assert first["passwords"]["pepper"] != second["passwords"]["pepper"]
    assert first["bootstrap_admin"]["password_hash"] != second["bootstrap_admin"]["password_hash"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_gitignore_ignores_the_secrets(baked, tmp_path):
    """Checked by git itself, in a scratch repository holding a copy of the project."""
    copy = tmp_path / "repo"
    shutil.copytree(baked.project_dir, copy)
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    result = run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=copy)
    assert result.returncode == 0, ".streamlit/secrets.toml is not ignored by .gitignore"
    result = run(["git", "check-ignore", "-q", "settings.toml"], cwd=copy)
    assert result.returncode == 1, "settings.toml must be committed"


def test_one_time_password_is_printed_once_and_stored_nowhere(baked):
    password = baked.one_time_password()
    assert len(password) >= 16
    assert baked.stdout.count(password) == 1
    assert password not in baked.stderr
    for path in project_files(baked.project_dir):
        assert password.encode() not in path.read_bytes(), path


def test_next_steps_are_printed(baked):
    for expected in [
        "pip install -r requirements-dev.txt",
        "streamlit run streamlit_app.py",
        "http://localhost:8501",
        "sign in as admin",
    ]:
        assert expected in baked.stdout


VERIFY = """
import json, sys
sys.path.insert(0, ".")
from auth.domain.passwords import verify_password
data = json.load(sys.stdin)
print(json.dumps([verify_password(p, data["encoded"], data["pepper"]) for p in data["tries"]]))
"""


def test_one_time_password_verifies_with_the_generated_app(baked):
    """The app's own ``auth.domain.passwords.verify_password`` accepts the hook's bootstrap hash."""
    if not (baked.project_dir / "auth" / "domain" / "passwords.py").is_file():
        pytest.skip("the generated project has no auth/domain/passwords.py yet")
    password = baked.one_time_password()
    values = baked.secrets()
    data = {
        "encoded": values["bootstrap_admin"]["password_hash"],
        "pepper": values["passwords"]["pepper"],
        "tries": [password, password + "x", password.upper(), ""],
    }
    result = subprocess.run(
        [sys.executable, "-c", VERIFY],
        cwd=baked.project_dir,
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, explain(result)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, False, False, False]


def test_ruff_finds_nothing_in_the_generated_project(baked):
    """Linted with the generated project's own configuration."""
    pyproject = (baked.project_dir / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.ruff" in pyproject, "the generated pyproject.toml must configure ruff"
    check = run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], baked.project_dir)
    assert check.returncode == 0, explain(check)
    fmt = run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."], baked.project_dir
    )
    assert fmt.returncode == 0, explain(fmt)
