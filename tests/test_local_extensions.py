"""The ``toml`` Jinja filter writes values that TOML reads back unchanged."""

from __future__ import annotations

import tomllib

import pytest
from cookiecutter.utils import create_env_with_context

from local_extensions import toml_value
from tests.conftest import QUESTIONS

VALUES = [
    "",
    "Team Portal",
    "O'Brien's \"Tools\" \\ back",
    "Rocket 🚀 Board",
    "Café Überblick",
    "new\nline\ttab\r\b\f",
    "\x00\x1f\x7f",
    "'''",
    '"""',
    "[section]\nkey = 1",
    7,
    0,
    True,
    False,
    ["admin", "editor", "🚀"],
    [],
]


@pytest.mark.parametrize("value", VALUES)
def test_round_trips(value):
    assert tomllib.loads(f"key = {toml_value(value)}")["key"] == value


@pytest.mark.parametrize("value", ["\ud800", None, 1.5, {"a": 1}])
def test_refuses_what_it_cannot_write(value):
    with pytest.raises((ValueError, TypeError)):
        toml_value(value)


def test_cookiecutter_loads_the_filter():
    assert "local_extensions.toml" in QUESTIONS["_extensions"]
    context = {"cookiecutter": {"_extensions": QUESTIONS["_extensions"], "name": "Rocket 🚀"}}
    env = create_env_with_context(context)
    rendered = env.from_string("name = {{ cookiecutter.name|toml }}\n").render(**context)
    assert tomllib.loads(rendered) == {"name": "Rocket 🚀"}
