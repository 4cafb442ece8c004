"""A generated project installs into a fresh virtualenv from PyPI; its tests and mypy pass there.

Slow (downloads Streamlit and friends). Outside CI a failed install (no network,
no PyPI) skips the test; with CI=true it fails instead.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import explain, is_ci, run

pytestmark = pytest.mark.slow


# The default, then the two bakes whose dependencies differ most from it: a YAML
# store has no SQLAlchemy at all, PostgreSQL with every provider adds psycopg and
# Authlib. The shared test environment holds the union and would hide a missing one.
REPRESENTATIVE = {
    "default": {},
    "yaml-minimal": {"storage": "yaml", "registration": "disabled", "captcha": "none"}
    | {f"oidc_{name}": False for name in ("google", "microsoft", "okta", "auth0", "generic")},
    "postgres-everything": {"storage": "postgres", "registration": "open", "captcha": "image"}
    | {f"oidc_{name}": True for name in ("google", "microsoft", "okta", "auth0", "generic")},
}


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
