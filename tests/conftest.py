"""Shared helpers: bake the template into a temporary folder and read what came out."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

REPO_ROOT = Path(__file__).resolve().parents[1]
HOOKS_DIR = REPO_ROOT / "hooks"
TEMPLATE_DIR = REPO_ROOT / "{{cookiecutter.project_slug}}"
QUESTIONS = json.loads((REPO_ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
# The options table: per option and value, its files and requirement lines.
OPTIONS: dict = QUESTIONS["_options"]
PASSWORD_RE = re.compile(r"One-time password: (\S+)")
# Local caches that may sit in a working copy; a clone never has them.
CACHE_PATTERNS = (
    ".git",
    ".venv",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
)


def questions() -> list[str]:
    """The names of the questions in cookiecutter.json (private keys left out)."""
    return [key for key in QUESTIONS if not key.startswith("_")]


def load_hook(name: str) -> ModuleType:
    """Import ``hooks/<name>.py`` from the unrendered template."""
    path = HOOKS_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"template_hook_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def run(
    command: Sequence[str | os.PathLike[str]], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a command, output captured as text, never raising on a non-zero exit."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def explain(result: subprocess.CompletedProcess[str], tail: int = 8000) -> str:
    """A failure message with the end of a command's output."""
    output = (result.stdout + "\n" + result.stderr)[-tail:]
    args = [str(arg) for arg in result.args]
    if len(args) > 12:  # e.g. ruff over 576 projects: the command, not every path
        args = [*args[:8], f"... {len(args) - 10} more ...", *args[-2:]]
    return f"{args} exited {result.returncode}:\n{output}"


@dataclass
class Bake:
    """One generated project and what cookiecutter printed while making it."""

    project_dir: Path
    stdout: str
    stderr: str

    def printed_passwords(self) -> list[str]:
        return PASSWORD_RE.findall(self.stdout)

    def one_time_password(self) -> str:
        found = self.printed_passwords()
        assert len(found) == 1, f"expected one 'One-time password:' line in:\n{self.stdout}"
        return found[0]

    def toml(self, relative: str) -> dict:
        with (self.project_dir / relative).open("rb") as handle:
            return tomllib.load(handle)

    def secrets(self) -> dict:
        return self.toml(".streamlit/secrets.toml")

    def settings(self) -> dict:
        return self.toml("settings.toml")

    def files(self) -> list[Path]:
        return sorted(path for path in self.project_dir.rglob("*") if path.is_file())


@dataclass
class Refusal:
    """What cookiecutter left behind after the pre-generation hook refused the answers."""

    output_dir: Path
    stdout: str
    stderr: str

    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("ERROR: ")]


def git_visible_files(root: Path) -> list[str] | None:
    """Tracked files plus untracked ones git does not ignore; None without git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in listed.decode("utf-8").split("\0") if name]


def snapshot_template(destination: Path) -> Path:
    """Copy the repository as a clone would have it (work in progress included).

    Baking the working copy itself would also bake whatever caches, databases or
    secrets a developer left inside the template folder.
    """
    files = git_visible_files(REPO_ROOT)
    if files is None:
        shutil.copytree(REPO_ROOT, destination, ignore=shutil.ignore_patterns(*CACHE_PATTERNS))
        return destination
    for name in files:
        source = REPO_ROOT / name
        if source.is_file():  # a tracked file may have been deleted in the working copy
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a clean clone would have it; every bake starts from here."""
    return snapshot_template(tmp_path_factory.mktemp("template") / "stauth-template")


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cookiecutter config that keeps replay files out of the home folder."""
    base = tmp_path_factory.mktemp("cookiecutter-home")
    config = base / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(base / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(base / 'replay'))}\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def _output_dirs(tmp_path: Path) -> Callable[[], Path]:
    counter = itertools.count()

    def new_output_dir() -> Path:
        path = tmp_path / f"out{next(counter)}"
        path.mkdir()
        return path

    return new_output_dir


def _cookiecutter(
    template: Path, output_dir: Path, config: Path, answers: dict[str, object]
) -> Path:
    project = cookiecutter(
        str(template),
        no_input=True,
        extra_context=answers,
        output_dir=str(output_dir),
        config_file=str(config),
    )
    return Path(project)


@pytest.fixture
def bake(
    capfd: pytest.CaptureFixture[str],
    template_repo: Path,
    cookiecutter_config: Path,
    _output_dirs: Callable[[], Path],
) -> Callable[..., Bake]:
    """``bake(**answers)`` generates a project into a fresh folder and returns a ``Bake``.

    The hooks run as child processes, so their output is read at the file
    descriptor level (capfd), not from sys.stdout.
    """

    def _bake(**answers: object) -> Bake:
        capfd.readouterr()
        project_dir = _cookiecutter(template_repo, _output_dirs(), cookiecutter_config, answers)
        captured = capfd.readouterr()
        return Bake(project_dir, captured.out, captured.err)

    return _bake


@pytest.fixture
def bake_refused(
    capfd: pytest.CaptureFixture[str],
    template_repo: Path,
    cookiecutter_config: Path,
    _output_dirs: Callable[[], Path],
) -> Callable[..., Refusal]:
    """``bake_refused(**answers)`` asserts that the hooks refuse the answers."""

    def _bake_refused(**answers: object) -> Refusal:
        output_dir = _output_dirs()
        capfd.readouterr()
        with pytest.raises(FailedHookException):
            _cookiecutter(template_repo, output_dir, cookiecutter_config, answers)
        captured = capfd.readouterr()
        return Refusal(output_dir, captured.out, captured.err)

    return _bake_refused


@pytest.fixture(scope="module")
def chromium():
    """A headless system Chromium, or a skip (a failure when CI=true) saying how to get one."""
    from tests.browser_support import launch_chromium, missing_browser_tools

    missing = missing_browser_tools()
    if missing is not None:
        if is_ci():
            pytest.fail(f"CI=true and the browser tests {missing}")
        pytest.skip(f"browser tests {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
