"""Cookiecutter renders the hooks with Jinja: no answer may break or change their code."""

from __future__ import annotations

import importlib.util
import re

import pytest
from cookiecutter.utils import create_env_with_context

from tests.conftest import HOOKS_DIR

HOOKS = ["pre_gen_project", "post_gen_project"]
CONTEXT_LINE = 'RENDERED_CONTEXT = r"""{{ cookiecutter|tojson }}"""'

NASTY = [
    'plain "double" quotes',
    "single 'quotes'",
    'triple """ quotes """',
    "'''",
    "ends with a backslash \\",
    "\\",
    '\\"',
    "back\\slash \\n \\N{BULLET} \\u0041 \\x00",
    "real\nnewline\tand tab",
    "\x00\x07\x1b\x7f",
    "</script><script>alert(1)</script> & <b>",
    "{{ not jinja }} {% also not %} {# nor #}",
    "Café 🚀 \u202e",
    "",
]


def render(name: str, answers: dict[str, object]) -> str:
    """Render a hook the way cookiecutter does (its own Jinja environment)."""
    context = {"cookiecutter": {**answers, "_template": "x", "_output_dir": "output"}}
    source = (HOOKS_DIR / f"{name}.py").read_text(encoding="utf-8")
    return create_env_with_context(context).from_string(source).render(**context)


def import_rendered(name: str, source: str, tmp_path):
    path = tmp_path / f"rendered_{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"rendered_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", HOOKS)
def test_the_context_line_is_the_only_jinja_in_the_hook(name):
    source = (HOOKS_DIR / f"{name}.py").read_text(encoding="utf-8")
    assert source.count(CONTEXT_LINE) == 1
    rest = source.replace(CONTEXT_LINE, "")
    assert not re.search(r"\{\{|\{%|\{#", rest), "Jinja would render or choke on this"


@pytest.mark.parametrize("name", HOOKS)
def test_rendering_changes_only_the_context_line(name):
    source = (HOOKS_DIR / f"{name}.py").read_text(encoding="utf-8")
    rendered = render(name, {"project_name": "X"})
    before = source.splitlines()
    after = rendered.splitlines()
    assert len(before) == len(after)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert [before[i] for i in changed] == [CONTEXT_LINE]


@pytest.mark.parametrize("name", HOOKS)
@pytest.mark.parametrize("value", NASTY)
def test_any_answer_survives_rendering_unchanged(name, value, tmp_path):
    answers = {"project_name": value, "roles": value, "session_lifetime_days": 7}
    module = import_rendered(name, render(name, answers), tmp_path)
    assert module.read_answers() == answers
