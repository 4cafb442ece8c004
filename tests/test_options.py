"""The options table (`_options` in cookiecutter.json) drives the questions, the validators,
the removed files and the requirement lines; a minimal bake carries nothing of the options
it did not choose; docs/adding-an-option.md names only things that exist."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from local_extensions import chosen_option_values
from tests.conftest import OPTIONS, QUESTIONS, REPO_ROOT, TEMPLATE_DIR, load_hook, questions
from tests.option_traces import traces

pre = load_hook("pre_gen_project")
post = load_hook("post_gen_project")
DOC = REPO_ROOT / "docs" / "adding-an-option.md"


def _lines(path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-r", "{"))
    ]


def _table_requirements() -> set[str]:
    return {
        line
        for spec in OPTIONS.values()
        for parts in spec["values"].values()
        for line in parts.get("requirements", [])
        if not line.startswith("#")
    }


def every_answer_combination() -> list[dict[str, object]]:
    options = {
        key: value if isinstance(value, list) else [True, False]
        for key, value in QUESTIONS.items()
        if not key.startswith("_") and isinstance(value, list | bool)
    }
    return [
        dict(zip(options, combo, strict=True)) for combo in itertools.product(*options.values())
    ]


# --- the table agrees with the questions, the validators and the requirements ---------


def test_every_choice_and_yes_no_question_belongs_to_exactly_one_option():
    from_table: list[str] = []
    for name, spec in OPTIONS.items():
        from_table += spec.get("any_of", []) or [name]
    asked = [q for q in questions() if isinstance(QUESTIONS[q], list | bool)]
    assert sorted(from_table) == sorted(asked)
    for name, spec in OPTIONS.items():
        if "any_of" not in spec:
            assert QUESTIONS[name] == list(spec["values"]), f"{name}: choices differ"
        else:
            assert all(isinstance(QUESTIONS[q], bool) for q in spec["any_of"])


def test_the_validators_of_choices_and_yes_no_questions_come_from_the_table():
    checks = pre.validators(OPTIONS)
    for name, spec in OPTIONS.items():
        for question in spec.get("any_of", []):
            assert checks[question](True) == checks[question](False) == []
            assert checks[question]("yes")
        if "any_of" not in spec:
            assert all(checks[name](value) == [] for value in spec["values"])
            assert checks[name]("not-a-value")


def test_the_shared_test_environment_holds_exactly_the_union_of_every_bake():
    generated = set(_lines(REPO_ROOT / "requirements-generated.txt"))
    fixed = set(_lines(TEMPLATE_DIR / "requirements.txt"))
    dev = set(_lines(TEMPLATE_DIR / "requirements-dev.txt"))
    assert generated == fixed | dev | _table_requirements()


def test_requirements_txt_has_no_option_of_its_own():
    """Option lines come only from the table: requirements.txt loops over it."""
    fixed = set(_lines(TEMPLATE_DIR / "requirements.txt"))
    assert not fixed & _table_requirements()
    text = (TEMPLATE_DIR / "requirements.txt").read_text(encoding="utf-8")
    assert "cookiecutter._options" in text and "cookiecutter.storage" not in text


def test_the_jinja_filter_and_the_hook_choose_the_same_values():
    for answers in every_answer_combination():
        context = {**answers, "_options": OPTIONS}
        assert chosen_option_values(context) == post.chosen_values(answers, OPTIONS)


@pytest.mark.parametrize(
    "answers",
    [
        {"storage": "postgres", "captcha": "none", "oidc_google": False, "oidc_okta": True},
        {"storage": "yaml", "registration": "disabled", "oidc_google": False},
    ],
)
def test_a_bake_requires_exactly_the_fixed_lines_and_those_of_its_values(bake, answers):
    baked = bake(**answers)
    chosen = post.chosen_values(answers | _defaults(answers), OPTIONS)
    expected = set(_lines(TEMPLATE_DIR / "requirements.txt")) | {
        line
        for name, value in chosen.items()
        for line in OPTIONS[name]["values"][value].get("requirements", [])
        if not line.startswith("#")
    }
    assert set(_lines(baked.project_dir / "requirements.txt")) == expected


def _defaults(answers: dict[str, object]) -> dict[str, object]:
    defaults = {
        key: value[0] if isinstance(value, list) else value
        for key, value in QUESTIONS.items()
        if not key.startswith("_") and isinstance(value, list | bool)
    }
    return {key: value for key, value in defaults.items() if key not in answers}


# --- a minimal bake carries nothing of the options it did not choose ----------------------

NO_PROVIDER = dict.fromkeys(OPTIONS["guests"]["any_of"], False)


@pytest.mark.parametrize("storage", ["yaml", "sqlite"])
def test_a_minimal_bake_names_no_module_or_setting_of_an_unchosen_option(bake, storage):
    answers = {"storage": storage, "registration": "disabled", "captcha": "none", **NO_PROVIDER}
    baked = bake(**answers)
    assert traces(baked.project_dir, answers) == []


def test_the_trace_search_finds_what_a_bake_of_the_other_values_holds(bake):
    """The check above is not vacuous: the same search, told the wrong answers, finds plenty."""
    baked = bake(storage="postgres", registration="open", captcha="image", oidc_google=True)
    wrong = {"storage": "yaml", "registration": "disabled", "captcha": "none", **NO_PROVIDER}
    found = traces(baked.project_dir, wrong)
    for label in ("storage=postgres", "registration=open", "captcha=image", "guests=yes"):
        assert any(f": {label}: " in line for line in found), label


# --- docs/adding-an-option.md --------------------------------------------------------------

PATH_RE = re.compile(r"`([\w./{}-]+/[\w.{}-]+|[\w-]+\.(?:py|json|txt|toml|md))`")


def test_every_path_the_option_guide_names_exists():
    text = DOC.read_text(encoding="utf-8")
    named = set(PATH_RE.findall(text))
    assert len(named) > 20, "the guide names the files it asks you to change"
    missing = [
        path
        for path in sorted(named)
        if not (REPO_ROOT / path).exists() and not (TEMPLATE_DIR / path).exists()
    ]
    assert not missing, f"docs/adding-an-option.md names missing files: {missing}"


def test_the_option_guides_worked_example_is_the_captcha_option_as_it_is():
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, re.DOTALL)
    tables = [json.loads("{" + b + "}") for b in blocks if b.lstrip().startswith('"_options"')]
    assert [table["_options"] for table in tables] == [{"captcha": OPTIONS["captcha"]}]
    marked = [
        path.relative_to(TEMPLATE_DIR).as_posix()
        for path in TEMPLATE_DIR.rglob("*.py")
        if "[option: captcha=" in path.read_text(encoding="utf-8")
    ]
    missing = [path for path in marked if f"`{path}`" not in text]
    assert not missing, f"the guide's captcha example misses marked files: {missing}"
