"""Unit tests of hooks/pre_gen_project.py, imported from the unrendered template."""

from __future__ import annotations

import json

import pytest
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from tests.conftest import OPTIONS, REPO_ROOT, load_hook, questions
from tests.conftest import QUESTIONS as QUESTIONS_JSON

pre = load_hook("pre_gen_project")
VALIDATORS = pre.validators(OPTIONS)


def default_answers() -> dict[str, object]:
    """The answers cookiecutter would use with --no-input (project_slug rendered)."""
    context = generate_context(context_file=str(REPO_ROOT / "cookiecutter.json"))
    answers = prompt_for_config(context, no_input=True)
    return {key: value for key, value in answers.items() if not key.startswith("_")}


def test_every_question_has_exactly_one_validator():
    assert list(VALIDATORS) == questions()
    for field, check in VALIDATORS.items():
        assert check.__name__ == f"validate_{field}"


def test_the_defaults_are_valid():
    assert pre.validate(default_answers(), OPTIONS) == []


def test_the_options_table_is_well_formed():
    assert pre.table_problems(OPTIONS) == []


@pytest.mark.parametrize(
    "table",
    [
        None,
        {},
        {"storage": {}},
        {"storage": {"values": {}}},
        {"storage": {"values": {"a": {"files": "x.py"}}}},
        {"storage": {"values": {"a": {"files": [""]}}}},
        {"storage": {"values": {"a": {"file": ["x.py"]}}}},
        {"guests": {"any_of": ["oidc_x"], "values": {"on": {}, "off": {}}}},
        {"guests": {"any_of": [], "values": {"yes": {}, "no": {}}}},
    ],
)
def test_a_malformed_options_table_stops_the_bake(table):
    problems = pre.validate(default_answers(), table)
    assert problems and all(problem.startswith("_options") for problem in problems)


def test_choices_and_yes_no_questions_are_checked_from_the_table():
    table = {
        "storage": {"values": {"sqlite": {}, "redis": {}}},
        "guests": {"any_of": ["oidc_google", "oidc_new"], "values": {"yes": {}, "no": {}}},
    }
    checks = pre.option_validators(table)
    assert list(checks) == ["storage", "oidc_google", "oidc_new"]
    assert checks["storage"]("redis") == [] and checks["storage"]("yaml")
    assert checks["oidc_new"](True) == [] and checks["oidc_new"]("yes")


def test_the_choice_lists_of_cookiecutter_json_are_the_values_of_the_table():
    for name, spec in OPTIONS.items():
        if "any_of" in spec:
            assert all(isinstance(QUESTIONS_JSON[q], bool) for q in spec["any_of"])
        else:
            assert QUESTIONS_JSON[name] == list(spec["values"]), name


PROVIDERS = ("google", "microsoft", "okta", "auth0", "generic")

GOOD: dict[str, list[object]] = {
    "project_name": ["Team Portal", "x", "Café Überblick", 'Quote "and" back\\slash', "n" * 80],
    "project_slug": ["team_portal", "a", "app2", "a" * 64, "match"],
    "description": ["", "A Streamlit app.", "d" * 200],
    "author_name": ["", "Ada Lovelace", "O'Brien"],
    "admin_username": ["admin", "ops.lead", "a-b_c", "007", "A" * 32],
    "admin_email": ["admin@example.com", "first.last+tag@mail.corp.example.org", "a@b.co"],
    "roles": [
        "admin, editor, viewer",
        "editor,viewer",
        "admin",
        "",
        "  ",
        "support-2, data_team",
        ", ".join(f"r{i}" for i in range(19)),
    ],
    "session_lifetime_days": ["1", "7", "30", 30],
    "storage": ["sqlite", "yaml", "postgres"],
    "registration": ["invite_only", "open", "disabled"],
    "captcha": ["image", "none"],
    **{f"oidc_{name}": [True, False] for name in PROVIDERS},
}

BAD: dict[str, list[object]] = {
    "project_name": [
        "",
        "   ",
        "n" * 81,
        "Bell\x07",
        "Line\nbreak",
        "Tab\there",
        "Evil\u202eRLO",
        7,
    ],
    "project_slug": [
        "",
        "Team",
        "team portal",
        "team-portal",
        "9lives",
        "_private",
        "a" * 65,
        "class",
        "auth",
        "streamlit",
        "test",
        "tests",
        "email",
        "secrets",
        "main",
        None,
    ],
    "description": ["d" * 201, "bad\x00byte"],
    "author_name": ["a" * 101, "Esc\x1b[31m"],
    "admin_username": ["ab", "-admin", ".admin", "a b", "a" * 33, "admin!", "ädmin", "", 12],
    "admin_email": [
        "",
        "admin",
        "admin@",
        "@example.com",
        "a@b",
        "a@@example.com",
        "a@b@example.com",
        "a b@example.com",
        "a@example.com ",
        "a@.com",
        "a@example.",
        "a" * 250 + "@x.com",
    ],
    "roles": [
        "Admin",
        "editor,,viewer",
        "editor,",
        "editor, editor",
        "1role",
        "r" * 33,
        "editor viewer",
        "édition",
        ", ".join(f"r{i}" for i in range(20)),
        ["admin"],
    ],
    "session_lifetime_days": ["0", "31", "366", "-1", "07", "7.5", "seven", "", " 7", "1e2", True],
    "storage": ["", "SQLite", "mysql", "sqlite ", None, ["sqlite"]],
    "registration": ["", "invite", "OPEN", None],
    "captcha": ["", "recaptcha", "Image", False],
    # A replay file or an old cookiecutter can hand over strings: refused, not guessed.
    **{f"oidc_{name}": ["no", "yes", "", 0, 1, None] for name in PROVIDERS},
}


@pytest.mark.parametrize(
    ("field", "value"), [(field, value) for field, values in GOOD.items() for value in values]
)
def test_good_answers_pass(field, value):
    assert VALIDATORS[field](value) == []


@pytest.mark.parametrize(
    ("field", "value"), [(field, value) for field, values in BAD.items() for value in values]
)
def test_bad_answers_are_refused_with_the_field_named(field, value):
    problems = VALIDATORS[field](value)
    assert problems
    assert all(problem.startswith(f"{field}: ") for problem in problems)


def test_every_question_has_bad_examples():
    assert set(BAD) == set(questions())
    assert set(GOOD) == set(questions())


def test_slug_message_mentions_the_shadowed_module():
    (problem,) = pre.validate_project_slug("streamlit")
    assert "shadow" in problem


def test_role_limit_counts_admin():
    nineteen = [f"r{i}" for i in range(19)]
    assert pre.validate_roles(", ".join(nineteen)) == []
    assert pre.validate_roles(", ".join(["admin", *nineteen])) == []
    (problem,) = pre.validate_roles(", ".join([*nineteen, "r19"]))
    assert "at most 20" in problem


def test_every_bad_role_is_reported():
    problems = pre.validate_roles("Editor, ok, ok, ,9x")
    assert len(problems) == 4


def test_validate_collects_every_problem_in_question_order():
    answers = default_answers() | {"project_slug": "class", "admin_email": "nope", "roles": "A"}
    problems = pre.validate(answers, OPTIONS)
    assert [problem.split(":")[0] for problem in problems] == [
        "project_slug",
        "admin_email",
        "roles",
    ]


def test_validate_reports_missing_answers():
    answers = default_answers()
    del answers["admin_email"]
    assert pre.validate(answers, OPTIONS) == ["admin_email: no answer given"]


def test_validate_ignores_unknown_answers():
    assert pre.validate(default_answers() | {"something_new": "x"}, OPTIONS) == []


def test_main_prints_one_error_line_per_problem_and_exits_1(capsys):
    answers = default_answers() | {"admin_username": "x", "session_lifetime_days": "0"}
    assert pre.main(json.dumps(answers | {"_options": OPTIONS})) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ERROR: admin_username: ")
    assert lines[1].startswith("ERROR: session_lifetime_days: ")


def test_main_is_silent_and_exits_0_for_good_answers(capsys):
    assert pre.main(json.dumps(default_answers() | {"_options": OPTIONS})) == 0
    assert capsys.readouterr() == ("", "")


def test_read_answers_drops_private_keys():
    rendered = json.dumps({"project_name": "X", "_template": "/t", "__prompts__": {}})
    assert pre.read_answers(rendered) == {"project_name": "X"}


def test_read_options_returns_the_private_table():
    rendered = json.dumps({"project_name": "X", "_options": OPTIONS})
    assert pre.read_options(rendered) == OPTIONS
    with pytest.raises(RuntimeError, match="_options"):
        pre.read_options(json.dumps({"project_name": "X"}))


def test_read_answers_refuses_the_unrendered_file():
    with pytest.raises(RuntimeError, match="rendered"):
        pre.read_answers()
