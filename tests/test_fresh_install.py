"""A generated project installs into a fresh virtualenv from PyPI; its tests and mypy pass there.

Slow (downloads Streamlit and friends). Outside CI a failed install (no network,
no PyPI) skips the test; with CI=true it fails instead.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import explain, is_ci, run
from tests.test_combinations import FRESH_ROWS

pytestmark = pytest.mark.slow


# Rows of the covering set (tests/test_combinations.py): the default answers, then the
# two bakes whose dependencies differ most from it (a YAML store has no SQLAlchemy, a
# bake without providers no Authlib; PostgreSQL with every provider adds psycopg and
# Authlib). The shared test environment holds the union and would hide a missing one.
# These rows run their whole suite here, stress tests included, and only here.
REPRESENTATIVE = dict(
    zip(("default", "postgres-everything", "yaml-minimal"), FRESH_ROWS, strict=True)
)


@pytest.mark.parametrize("answers", REPRESENTATIVE.values(), ids=REPRESENTATIVE.keys())
def test_fresh_virtualenv_installs_and_passes(bake, tmp_path, answers):
    baked = bake(**answers)
    venv = tmp_path / "venv"
    created = run([sys.executable, "-m", "venv", venv], tmp_path, timeout=300)
    assert created.returncode == 0, explain(created)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")

    install = run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        + ["-r", "requirements-dev.txt"],
        baked.project_dir,
        timeout=1500,
    )
    if install.returncode != 0:
        if is_ci():
            pytest.fail("pip install -r requirements-dev.txt failed in CI:\n" + explain(install))
        pytest.skip("pip could not install requirements-dev.txt (no network?)\n" + explain(install))

    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], baked.project_dir, 1800)
    assert tests.returncode == 0, explain(tests)
    # Also the README's type check, with only this project's own dependencies installed.
    types = run(
        [python, "-m", "mypy", "--cache-dir", tmp_path / "mypy_cache", "."], baked.project_dir
    )
    assert types.returncode == 0, explain(types)
