"""Answers other than the defaults end up where they should; bad answers make nothing.

Where the answers land in the generated project (keep in sync with its
settings.toml): ``[app] name``, ``[roles] available``, ``[sessions] lifetime_days``,
and ``[bootstrap_admin]`` in ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import pytest

CUSTOM = {
    "project_name": "Acme Ops",
    "project_slug": "acme_ops",
    "description": "Internal tools for the Acme operations team.",
    "author_name": "Ada Lovelace",
    "admin_username": "ops.lead",
    "admin_email": "ops.lead@corp.example.org",
    "roles": "editor, viewer",
    "session_lifetime_days": "30",
}


@pytest.fixture
def custom(bake):
    return bake(**CUSTOM)


def test_folder_is_named_after_the_slug(custom):
    assert custom.project_dir.name == "acme_ops"


def test_admin_lands_in_the_secrets(custom):
    admin = custom.secrets()["bootstrap_admin"]
    assert admin["username"] == "ops.lead"
    assert admin["email"] == "ops.lead@corp.example.org"
    assert "sign in as ops.lead" in custom.stdout


def test_project_name_lands_in_settings_and_readme(custom):
    assert custom.settings()["app"]["name"] == "Acme Ops"
    assert "Acme Ops" in (custom.project_dir / "README.md").read_text(encoding="utf-8")


def test_session_lifetime_lands_in_settings(custom):
    assert custom.settings()["sessions"]["lifetime_days"] == 30


def test_admin_role_is_added_when_omitted(custom):
    roles = custom.settings()["roles"]["available"]
    assert sorted(roles) == ["admin", "editor", "viewer"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("admin, editor, viewer", {"admin", "editor", "viewer"}),
        ("viewer,admin", {"admin", "viewer"}),
        ("support-2, data_team", {"admin", "support-2", "data_team"}),
        ("admin", {"admin"}),
        ("", {"admin"}),
    ],
)
def test_roles_land_in_settings_once_each_with_admin(bake, answer, expected):
    roles = bake(roles=answer).settings()["roles"]["available"]
    assert len(roles) == len(set(roles))
    assert set(roles) == expected


@pytest.mark.parametrize(
    "name",
    [
        "O'Brien's Tools",
        'Quote "and" back\\slash',
        "Café Überblick",
        "Rocket 🚀 Board",
        "<b>Tags</b> & ampersands",
    ],
)
def test_any_valid_project_name_survives_into_settings_and_readme(bake, name):
    baked = bake(project_name=name, project_slug="named_app")
    assert baked.settings()["app"]["name"] == name
    assert name in (baked.project_dir / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project_name", ""),
        ("project_name", "n" * 81),
        ("project_name", "Bell\x07"),
        ("project_name", "Evil\u202eRLO"),
        ("project_slug", "Team Portal"),
        ("project_slug", "team-portal"),
        ("project_slug", "9lives"),
        ("project_slug", "a" * 65),
        ("project_slug", "class"),
        ("project_slug", "auth"),
        ("project_slug", "streamlit"),
        ("project_slug", "test"),
        ("project_slug", "tests"),
        ("description", "d" * 201),
        ("author_name", "a" * 101),
        ("admin_username", "ab"),
        ("admin_username", "-admin"),
        ("admin_username", "a b"),
        ("admin_username", "a" * 33),
        ("admin_email", "admin"),
        ("admin_email", "admin@localhost"),
        ("admin_email", "a@@example.com"),
        ("admin_email", "a b@example.com"),
        ("admin_email", "a" * 250 + "@x.com"),
        ("roles", "Admin"),
        ("roles", "editor,,viewer"),
        ("roles", "editor, editor"),
        ("roles", "9th"),
        ("roles", ", ".join(f"r{i}" for i in range(20))),
        ("session_lifetime_days", "0"),
        ("session_lifetime_days", "31"),
        ("session_lifetime_days", "seven"),
        ("session_lifetime_days", "07"),
    ],
)
def test_invalid_answer_is_refused_and_leaves_nothing(bake_refused, field, value):
    answers = {field: value}
    if field == "project_name":
        answers["project_slug"] = "named_app"  # else the slug derived from it is bad too
    refusal = bake_refused(**answers)
    assert list(refusal.output_dir.iterdir()) == []
    errors = refusal.errors()
    assert errors, refusal.stderr
    assert all(error.startswith(f"ERROR: {field}: ") for error in errors), errors


def test_every_problem_is_reported_at_once(bake_refused):
    refusal = bake_refused(
        project_slug="class", admin_username="x", admin_email="nope", session_lifetime_days="0"
    )
    fields = [error.split(":")[1].strip() for error in refusal.errors()]
    assert fields == ["project_slug", "admin_username", "admin_email", "session_lifetime_days"]
    assert list(refusal.output_dir.iterdir()) == []
