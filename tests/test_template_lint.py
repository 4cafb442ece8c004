"""The template's own Python (hooks and these tests) is ruff-clean with the top-level config."""

from __future__ import annotations

import sys

from tests.conftest import REPO_ROOT, explain, run


def test_ruff_check():
    result = run([sys.executable, "-m", "ruff", "check", "--no-cache", "hooks", "tests"], REPO_ROOT)
    assert result.returncode == 0, explain(result)


def test_ruff_format():
    command = [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "hooks", "tests"]
    result = run(command, REPO_ROOT)
    assert result.returncode == 0, explain(result)
