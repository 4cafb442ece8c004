"""Bake each storage choice: only that backend's files and requirements, lint clean,
and the generated suite (which tests the backend it has) passes."""

from __future__ import annotations

import tomllib

import pytest

SQL = [
    "auth/store/sql.py",
    "auth/store/migrate.py",
    "migrations/env.py",
    "migrations/versions/0001_users_roles_sessions_tickets.py",
    "tests/auth/store/test_migrations.py",
    "benchmarks/admin_users_page.py",
]
POSTGRES = ["auth/store/postgres.py", "tests/auth/store/test_postgres.py"]
YAML = ["auth/store/yaml_store.py", "tests/auth/store/test_yaml_store.py"]
EVERYWHERE = [
    "auth/store/records.py",
    "auth/store/protocols.py",
    "auth/store/errors.py",
    "tests/auth/store/test_concurrency.py",
    "benchmarks/store_benchmark.py",
]
PRESENT = {"sqlite": SQL, "postgres": SQL + POSTGRES, "yaml": YAML}
CHOICES = list(PRESENT)
# The [storage] keys each choice writes (a path key only for a file store).
STORAGE_SETTINGS = {
    "sqlite": {"backend": "sqlite", "sqlite_path": "data/users.db"},
    "postgres": {"backend": "postgres"},
    "yaml": {"backend": "yaml", "yaml_path": "data/config.yaml"},
}


def _requirements(project) -> set[str]:
    text = (project / "requirements.txt").read_text(encoding="utf-8")
    return {line.split(">")[0].split("[")[0] for line in text.splitlines() if line[:1].isalpha()}


@pytest.mark.parametrize("choice", CHOICES)
def test_only_the_chosen_backend_is_generated(bake, choice):
    project = bake(storage=choice).project_dir
    every = SQL + POSTGRES + YAML
    present = {path for path in every if (project / path).exists()}
    assert present == set(PRESENT[choice])
    assert all((project / path).exists() for path in EVERYWHERE)
    assert (project / "migrations").is_dir() == (choice != "yaml")

    settings = tomllib.loads((project / "settings.toml").read_text(encoding="utf-8"))
    assert settings["storage"] == STORAGE_SETTINGS[choice]
    requirements = _requirements(project)
    assert ("SQLAlchemy" in requirements) == (choice != "yaml")
    assert ("alembic" in requirements) == (choice != "yaml")
    assert ("psycopg" in requirements) == (choice == "postgres")
    example = (project / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8")
    assert ("# [connections.sql]" in example) == (choice == "postgres")
    tomllib.loads(example)  # still valid TOML
