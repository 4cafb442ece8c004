"""hooks/post_gen_project.py removes the files of the option values not chosen, from the
`_options` table of cookiecutter.json (every value of every option, on a real file tree)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.conftest import OPTIONS, TEMPLATE_DIR, load_hook

post = load_hook("post_gen_project")
PROVIDERS = ("oidc_google", "oidc_microsoft", "oidc_okta", "oidc_auth0", "oidc_generic")

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
OIDC_FILES = [
    "auth/domain/oidc.py",
    "auth/web/oidc_ui.py",
    "tests/app_pages/test_login_oidc.py",
    "tests/auth/domain/test_oidc.py",
    "tests/auth/test_config_guests.py",
]
SQL_FILES = [
    "auth/store/migrate.py",
    "auth/store/sql.py",
    "benchmarks/admin_users_page.py",
    "migrations",
    "tests/auth/store/test_migrations.py",
]
POSTGRES_FILES = ["auth/store/postgres.py", "tests/auth/store/test_postgres.py"]
YAML_FILES = ["auth/store/yaml_store.py", "tests/auth/store/test_yaml_store.py"]
ALWAYS = ["app_pages/login.py", "auth/config.py", "auth/store/base.py", "navigation.py"]


def answers(**chosen: object) -> dict[str, object]:
    base = {"storage": "sqlite", "registration": "invite_only", "captcha": "image"}
    return base | dict.fromkeys(PROVIDERS, False) | chosen


def every_listed_file() -> list[str]:
    return sorted(
        {
            path
            for spec in OPTIONS.values()
            for parts in spec["values"].values()
            for path in parts.get("files", [])
        }
    )


def make_tree(root: Path) -> None:
    for relative in every_listed_file() + ALWAYS:
        path = root / relative
        if relative == "migrations":
            path.mkdir(parents=True)
            (path / "env.py").write_text("# x\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# x\n")


def present(root: Path) -> set[str]:
    listed = set(every_listed_file() + ALWAYS)
    return {relative for relative in listed if (root / relative).exists()}


def test_every_file_the_table_lists_exists_in_the_template():
    missing = [path for path in every_listed_file() if not (TEMPLATE_DIR / path).exists()]
    assert not missing


def test_no_listed_path_lies_inside_another():
    paths = every_listed_file()
    assert not [(a, b) for a, b in itertools.permutations(paths, 2) if b.startswith(a + "/")]


def test_chosen_values_of_choices_and_of_the_derived_guests_option():
    assert post.chosen_values(answers(), OPTIONS) == {
        "storage": "sqlite",
        "registration": "invite_only",
        "captcha": "image",
        "guests": "no",
    }
    for provider in PROVIDERS:
        assert post.chosen_values(answers(**{provider: True}), OPTIONS)["guests"] == "yes"
    # Only a real yes counts: the pre-generation hook refuses "yes" strings anyway.
    assert post.chosen_values(answers(oidc_okta="yes"), OPTIONS)["guests"] == "no"


def test_a_value_outside_the_table_is_a_template_bug():
    with pytest.raises(post.OptionError, match="storage"):
        post.chosen_values(answers(storage="mongodb"), OPTIONS)


@pytest.mark.parametrize(
    ("chosen", "kept", "removed"),
    [
        ({"storage": "sqlite"}, SQL_FILES, POSTGRES_FILES + YAML_FILES),
        ({"storage": "postgres"}, SQL_FILES + POSTGRES_FILES, YAML_FILES),
        ({"storage": "yaml"}, YAML_FILES, SQL_FILES + POSTGRES_FILES),
        ({"registration": "invite_only"}, REGISTRATION_FILES, []),
        ({"registration": "open"}, REGISTRATION_FILES, []),
        ({"registration": "disabled"}, [], REGISTRATION_FILES),
        ({"captcha": "image"}, CAPTCHA_FILES, []),
        ({"captcha": "none"}, [], CAPTCHA_FILES),
        ({"oidc_auth0": True}, OIDC_FILES, []),
        ({}, [], OIDC_FILES),
    ],
)
def test_each_value_keeps_its_files_and_removes_the_others(tmp_path, chosen, kept, removed):
    make_tree(tmp_path)
    post.remove_unchosen(answers(**chosen), OPTIONS, tmp_path)
    left = present(tmp_path)
    assert set(kept) <= left
    assert not set(removed) & left
    assert set(ALWAYS) <= left


def test_files_shared_by_the_chosen_value_are_kept():
    chosen = post.chosen_values(answers(storage="postgres"), OPTIONS)
    assert not set(SQL_FILES) & set(post.unchosen_files(chosen, OPTIONS))


def test_a_listed_file_missing_from_the_template_fails_the_bake(tmp_path):
    with pytest.raises(FileNotFoundError):
        post.remove_unchosen(answers(captcha="none"), OPTIONS, tmp_path)
