"""Every `registration` x `captcha` answer bakes into a project whose self-service works.

Each bake is checked for the files the hook keeps or removes, the settings and
requirements the answers select, lint, and the generated project's own
self-service tests (tests/test_combinations.py runs the whole generated suite
for a set of rows that covers every one of these pairs).
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import explain, run

SELF_SERVICE_TESTS = [
    "tests/auth/test_config.py",
    "tests/auth/test_config_selfservice.py",
    "tests/auth/test_navigation.py",
    "tests/auth/test_mailer.py",
    "tests/auth/test_tokens.py",
    "tests/auth/test_recovery.py",
    "tests/auth/test_validators.py",
    "tests/auth/test_throttle.py",
    "tests/auth/test_login_unverified.py",
    "tests/app_pages/test_login_selfservice.py",
    "tests/app_pages/test_forgot_password.py",
    "tests/app_pages/test_forgot_username.py",
    "tests/app_pages/test_reset_password.py",
    "tests/app_pages/test_verify_email.py",
]
REGISTRATION_FILES = [
    "app_pages/register.py",
    "auth/registration.py",
    "tests/app_pages/test_register.py",
    "tests/auth/test_registration.py",
]
CAPTCHA_FILES = ["auth/captcha.py", "tests/auth/test_captcha.py"]


@pytest.mark.parametrize("captcha", ["image", "none"])
@pytest.mark.parametrize("registration", ["invite_only", "open", "disabled"])
def test_each_registration_and_captcha_bakes_and_passes(bake, registration, captcha):
    baked = bake(registration=registration, captcha=captcha, roles="admin, editor, viewer")
    project = baked.project_dir
    settings = baked.settings()
    assert settings["registration"]["mode"] == registration
    assert settings["registration"]["default_roles"] == ["viewer"]
    assert settings["captcha"]["kind"] == captcha
    assert settings["app"]["base_url"] == "http://localhost:8501"
    for path in REGISTRATION_FILES:
        assert (project / path).exists() == (registration != "disabled"), path
    for path in CAPTCHA_FILES:
        assert (project / path).exists() == (captcha == "image"), path
    requirements = (project / "requirements.txt").read_text(encoding="utf-8")
    assert ("captcha>=" in requirements) == (captcha == "image")
    assert "zxcvbn>=" in requirements
    assert "aiosmtpd>=" in (project / "requirements-dev.txt").read_text(encoding="utf-8")

    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = run([sys.executable, "-m", "ruff", *command], project)
        assert result.returncode == 0, explain(result)

    tests = SELF_SERVICE_TESTS + [p for p in REGISTRATION_FILES + CAPTCHA_FILES if "tests/" in p]
    tests = [t for t in tests if (project / t).exists()]
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], project, 900
    )
    assert result.returncode == 0, explain(result)
    assert " skipped" not in result.stdout.splitlines()[-1] or captcha == "none", explain(result)
