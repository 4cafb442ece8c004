"""Every `registration` x `captcha` answer: the files kept or removed, settings, requirements.

tests/test_combinations.py lints every combination and runs the whole generated
suite for a set of rows that covers every one of these pairs.
"""

from __future__ import annotations

import pytest

REGISTRATION_FILES = [
    "app_pages/register.py",
    "auth/domain/registration.py",
    "tests/app_pages/test_register.py",
    "tests/auth/domain/test_registration.py",
]
CAPTCHA_FILES = [
    "auth/domain/captcha.py",
    "auth/domain/throttle.py",
    "auth/web/captcha_field.py",
    "tests/auth/domain/test_captcha.py",
    "tests/auth/domain/test_throttle.py",
]


@pytest.mark.parametrize("captcha", ["image", "none"])
@pytest.mark.parametrize("registration", ["invite_only", "open", "disabled"])
def test_each_registration_and_captcha_generates_its_files(bake, registration, captcha):
    baked = bake(registration=registration, captcha=captcha, roles="admin, editor, viewer")
    project = baked.project_dir
    settings = baked.settings()
    assert settings["registration"]["mode"] == registration
    if registration == "disabled":  # no registration: none of its settings
        assert set(settings["registration"]) == {"mode", "require_email_verification"}
    else:
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
