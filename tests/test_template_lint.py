"""The template's own Python (hooks, extensions, tests) is ruff-clean with the top-level config."""

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
