"""Every combination of generation choices bakes and lints clean; a covering set runs its tests.

Baking all combinations is cheap (a second or so each, two at a time), so
every one is baked, checked for leftover template syntax, for dependencies
missing from the shared test environment, and linted with one ruff call.
Running a generated test suite costs a minute, so suites run for a
pairwise-covering set: every pair of values of any two options appears in at
least one row (`test_rows_cover_every_pair_of_choices` proves it); the rows
include the default answers, no OpenID provider and every provider. The options
act through separate modules, settings and files, so a fault that needs three
specific choices at once is unlikely.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import QUESTIONS, REPO_ROOT, explain, run

LEFTOVERS = (b"{{ cookiecutter", b"{{cookiecutter", b"{%", b"{#")
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def choices() -> dict[str, list[object]]:
    """The options whose answers select code: lists (choices) and yes/no questions."""
    found: dict[str, list[object]] = {}
    for key, value in QUESTIONS.items():
        if key.startswith("_"):
            continue
        if isinstance(value, list):
            found[key] = list(value)
        elif isinstance(value, bool):
            found[key] = [True, False]
    return found


def all_combinations() -> list[dict[str, object]]:
    options = choices()
    return [
        dict(zip(options, values, strict=True)) for values in itertools.product(*options.values())
    ]


PROVIDERS = ("google", "microsoft", "okta", "auth0", "generic")


def row(storage: str, registration: str, captcha: str, *providers: bool) -> dict[str, object]:
    answers = {"storage": storage, "registration": registration, "captcha": captcha}
    return answers | {f"oidc_{name}": on for name, on in zip(PROVIDERS, providers, strict=True)}


# A pairwise-covering set (generated greedily once, checked below) that starts
# with the default answers, then no OpenID provider at all, then all of them.
PAIRWISE_ROWS: list[dict[str, object]] = [
    row("sqlite", "invite_only", "image", True, False, False, False, False),
    row("postgres", "open", "none", False, False, False, False, False),
    row("postgres", "disabled", "image", True, True, True, True, True),
    row("yaml", "invite_only", "none", False, True, False, True, True),
    row("sqlite", "disabled", "none", False, True, True, False, False),
    row("yaml", "open", "image", True, False, True, True, False),
    row("yaml", "disabled", "none", True, False, False, False, True),
    row("sqlite", "open", "image", False, True, True, True, True),
    row("postgres", "invite_only", "none", False, False, True, False, True),
]
SUITE_ROWS = PAIRWISE_ROWS


def row_id(row: dict[str, object]) -> str:
    providers = [
        key.removeprefix("oidc_") for key, value in row.items() if key.startswith("oidc_") and value
    ]
    return "-".join(
        [
            str(row["storage"]),
            str(row["registration"]),
            str(row["captcha"]),
            "+".join(providers) or "no-oidc",
        ]
    )


def test_rows_include_the_defaults_and_no_and_every_provider():
    defaults = {key: values[0] for key, values in choices().items()}
    defaults |= {key: QUESTIONS[key] for key in defaults if isinstance(QUESTIONS[key], bool)}
    assert PAIRWISE_ROWS[0] == defaults
    providers = [[row[f"oidc_{name}"] for name in PROVIDERS] for row in PAIRWISE_ROWS]
    assert [False] * 5 in providers and [True] * 5 in providers


def test_rows_cover_every_pair_of_choices():
    options = choices()
    assert set(options) == set(PAIRWISE_ROWS[0]), "a new option must join PAIRWISE_ROWS"
    missing = []
    for first, second in itertools.combinations(options, 2):
        for pair in itertools.product(options[first], options[second]):
            if not any((row[first], row[second]) == pair for row in PAIRWISE_ROWS):
                missing.append(f"{first}={pair[0]} with {second}={pair[1]}")
    assert not missing, "PAIRWISE_ROWS misses: " + "; ".join(missing)


# --- every combination: bake, no leftovers, dependencies covered, lint --------------


def _bake_one(args: tuple[str, str, str, dict[str, object]]) -> str:
    """Bake one combination (in a worker process: cookiecutter changes directories)."""
    from cookiecutter.main import cookiecutter

    template, output_dir, config, answers = args
    Path(output_dir).mkdir(parents=True)
    return cookiecutter(
        template, no_input=True, extra_context=answers, output_dir=output_dir, config_file=config
    )


def _requirement_lines(path: Path) -> set[str]:
    lines = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            lines.add(line)
    return lines


def _problems(project: Path, union: set[str]) -> list[str]:
    problems = []
    for path in project.rglob("*"):
        if not path.is_file() or SKIP_DIRS & set(path.relative_to(project).parts):
            continue
        data = path.read_bytes()
        for marker in LEFTOVERS:
            if marker in data:
                problems.append(f"{path.relative_to(project)}: template syntax {marker!r} left")
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in sorted(_requirement_lines(project / name) - union):
            problems.append(f"{name}: {line!r} is not in requirements-generated.txt")
    return problems


@pytest.fixture(scope="module")
def every_bake(template_repo, cookiecutter_config, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("combinations")
    combos = all_combinations()
    jobs = [
        (str(template_repo), str(root / f"c{i}"), str(cookiecutter_config), answers)
        for i, answers in enumerate(combos)
    ]
    workers = max(1, min(4, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers) as pool:
        projects = list(pool.map(_bake_one, jobs, chunksize=8))
    return {
        json.dumps(answers, sort_keys=True): Path(p)
        for answers, p in zip(combos, projects, strict=True)
    }


def test_every_combination_bakes_without_leftovers_and_with_known_dependencies(every_bake):
    union = _requirement_lines(REPO_ROOT / "requirements-generated.txt")
    problems = [
        f"{answers}: {problem}"
        for answers, project in every_bake.items()
        for problem in _problems(project, union)
    ]
    assert len(every_bake) == len(all_combinations())
    assert not problems, "\n".join(problems[:40])


def test_every_combination_lints_clean(every_bake):
    projects = list(every_bake.values())
    # Each project has its own pyproject.toml; ruff applies the nearest one to each file.
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = run([sys.executable, "-m", "ruff", *command, *projects], REPO_ROOT)
        assert result.returncode == 0, explain(result)


def test_unchosen_options_leave_no_trace_in_python(every_bake):
    """No module-level import names a module the hook removed."""
    pattern = re.compile(r"^(?:from|import)\s+(auth(?:\.\w+)*)", re.MULTILINE)
    problems = []
    for answers, project in every_bake.items():
        for path in project.rglob("*.py"):
            for module in pattern.findall(path.read_text(encoding="utf-8")):
                parts = module.split(".")
                candidates = [project.joinpath(*parts).with_suffix(".py"), project.joinpath(*parts)]
                if not any(c.exists() for c in candidates) and len(parts) > 1:
                    # "from auth.x import name" may name a package attribute; check the module.
                    parent = [
                        project.joinpath(*parts[:-1]).with_suffix(".py"),
                        project.joinpath(*parts[:-1]),
                    ]
                    if not any(c.exists() for c in parent):
                        problems.append(f"{answers}: {path.relative_to(project)} imports {module}")
    assert not problems, "\n".join(sorted(set(problems))[:40])


# --- a covering set: the generated project's own tests ---------------------------------


@pytest.mark.parametrize("answers", SUITE_ROWS, ids=[row_id(r) for r in SUITE_ROWS])
def test_generated_suite_passes(bake, answers):
    baked = bake(**answers)
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"],
        baked.project_dir,
        timeout=900,
    )
    assert result.returncode == 0, explain(result)
