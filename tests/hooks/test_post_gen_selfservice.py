"""The self-service removals of hooks/post_gen_project.py: registration and captcha."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import load_hook

post = load_hook("post_gen_project")

REGISTRATION_FILES = [
    "app_pages/register.py",
    "auth/domain/registration.py",
    "tests/app_pages/test_register.py",
    "tests/auth/domain/test_registration.py",
]
CAPTCHA_FILES = ["auth/domain/captcha.py", "tests/auth/domain/test_captcha.py"]
ALWAYS = ["auth/web/captcha_field.py", "app_pages/forgot_password.py", "auth/domain/recovery.py"]


def make_tree(root: Path) -> None:
    for relative in REGISTRATION_FILES + CAPTCHA_FILES + ALWAYS:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# x\n")


def present(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.py")}


@pytest.mark.parametrize("choice", ["invite_only", "open"])
def test_registration_files_stay_when_anyone_may_register(tmp_path, choice):
    make_tree(tmp_path)
    post.remove_unchosen_registration(choice, tmp_path)
    assert present(tmp_path) == set(REGISTRATION_FILES + CAPTCHA_FILES + ALWAYS)


def test_registration_disabled_removes_the_page_module_and_tests(tmp_path):
    make_tree(tmp_path)
    post.remove_unchosen_registration("disabled", tmp_path)
    assert present(tmp_path) == set(CAPTCHA_FILES + ALWAYS)


def test_captcha_none_removes_the_module_and_its_tests_only(tmp_path):
    make_tree(tmp_path)
    post.remove_unchosen_captcha("none", tmp_path)
    assert present(tmp_path) == set(REGISTRATION_FILES + ALWAYS)
    make_tree(tmp_path)
    post.remove_unchosen_captcha("image", tmp_path)
    assert present(tmp_path) == set(REGISTRATION_FILES + CAPTCHA_FILES + ALWAYS)


def test_both_are_registered():
    assert post.REMOVALS["registration"] is post.remove_unchosen_registration
    assert post.REMOVALS["captcha"] is post.remove_unchosen_captcha


def test_a_renamed_file_fails_the_bake(tmp_path):
    with pytest.raises(FileNotFoundError):
        post.remove_unchosen_captcha("none", tmp_path)
