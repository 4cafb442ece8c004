"""The template's own Python (hooks, extensions, tests) is ruff- and mypy-clean with the
top-level config (the generated project's Python: tests/test_combinations.py)."""

from __future__ import annotations

import sys

from tests.conftest import REPO_ROOT, explain, run

PATHS = ["hooks", "tests", "local_extensions.py"]


def test_ruff_check():
    result = run([sys.executable, "-m", "ruff", "check", "--no-cache", *PATHS], REPO_ROOT)
    assert result.returncode == 0, explain(result)


def test_ruff_format():
    result = run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", *PATHS], REPO_ROOT
    )
    assert result.returncode == 0, explain(result)


def test_mypy(tmp_path):
    """Strict for the hooks and the Jinja extension; pyproject.toml lists what is checked."""
    result = run([sys.executable, "-m", "mypy", "--cache-dir", tmp_path / "cache"], REPO_ROOT)
    assert result.returncode == 0, explain(result)
