"""Every combination of generation choices bakes, lints and type-checks clean; a covering
set runs its tests.

Baking all combinations is cheap (a second or so each, two at a time), so
every one is baked, checked for leftover template syntax, for dependencies
missing from the shared test environment, linted with one ruff call and
type-checked with mypy (once per distinct Python tree).
Running a generated test suite costs a minute, so suites run for a
pairwise-covering set: every pair of values of any two options appears in at
least one row (`test_rows_cover_every_pair_of_choices` proves it); the rows
include the default answers, no OpenID provider and every provider. The options
act through separate modules, settings and files, so a fault that needs three
specific choices at once is unlikely.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import itertools
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import QUESTIONS, REPO_ROOT, TEMPLATE_DIR, explain, run
from tests.option_traces import traces

# Template syntax that must never reach a project: Jinja, and the option markers
# that the post-generation hook strips from Python files.
LEFTOVERS = (b"{{ cookiecutter", b"{{cookiecutter", b"{%", b"{#", b"[option:", b"[end option:")
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
    row("postgres", "open", "none", True, False, False, False, True),
    row("postgres", "disabled", "image", True, True, True, True, True),
    row("yaml", "invite_only", "none", False, True, False, True, True),
    row("sqlite", "disabled", "none", False, True, True, False, False),
    row("yaml", "open", "image", True, False, True, True, False),
    row("yaml", "disabled", "none", False, False, False, False, False),
    row("sqlite", "open", "image", False, True, True, True, True),
    row("postgres", "invite_only", "none", False, False, True, False, False),
]
# Three rows run their suite in a brand-new virtualenv installed from PyPI
# (tests/test_fresh_install.py): the default answers, then the two bakes whose
# dependencies differ most from it (PostgreSQL with every provider adds psycopg and
# Authlib; a minimal YAML bake has neither SQLAlchemy nor Authlib). They run every
# test, the stress tests of all three backends included; the other rows run here,
# in the shared environment, without the stress tests (many processes hammering one
# store), which do not depend on any option but the backend.
FRESH_ROWS = [PAIRWISE_ROWS[0], PAIRWISE_ROWS[2], PAIRWISE_ROWS[6]]
SUITE_ROWS = [row for row in PAIRWISE_ROWS if row not in FRESH_ROWS]


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


def test_the_fresh_rows_are_the_default_the_fullest_and_the_leanest():
    """What tests/test_fresh_install.py promises to install from PyPI."""
    default, fullest, leanest = FRESH_ROWS
    assert default == PAIRWISE_ROWS[0]
    assert fullest["storage"] == "postgres" and all(fullest[f"oidc_{p}"] for p in PROVIDERS)
    assert leanest["storage"] == "yaml" and not any(leanest[f"oidc_{p}"] for p in PROVIDERS)
    assert leanest["captcha"] == "none" and leanest["registration"] == "disabled"
    assert len(SUITE_ROWS) + len(FRESH_ROWS) == len(PAIRWISE_ROWS)


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


LOCAL_PACKAGES = ("auth", "tests", "navigation", "menu", "manage", "main", "streamlit_app")


@functools.cache
def _parsed(text: str) -> ast.Module:
    return ast.parse(text)


@functools.cache
def _defined_names(text: str) -> frozenset[str]:
    """The names a module defines or imports at its top level (if/try blocks included)."""
    names: set[str] = set()
    stack = list(_parsed(text).body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            stack.extend(node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", []))
            stack.extend(b for h in getattr(node, "handlers", []) for b in h.body)
    return frozenset(names)


def _missing_imports(project: Path) -> list[str]:
    """Imports of this project's own modules (anywhere in a file) that name a module or a
    name the generator removed: a removed file, or a block stripped by option markers."""
    problems = []
    for path in project.rglob("*.py"):
        if SKIP_DIRS & set(path.relative_to(project).parts):
            continue
        for node in ast.walk(_parsed(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported: list[tuple[str, str | None]] = [(a.name, None) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported = [(node.module, alias.name) for alias in node.names]
            else:
                continue
            for module, name in imported:
                if module.split(".")[0] not in LOCAL_PACKAGES:
                    continue
                where = project.joinpath(*module.split("."))
                source = where.with_suffix(".py")
                if where.is_dir():
                    source = where / "__init__.py"
                    if name is None or (where / f"{name}.py").exists() or (where / name).is_dir():
                        continue
                elif not source.exists():
                    problems.append(f"{path.relative_to(project)} imports {module}")
                    continue
                if name is None:
                    continue
                text = source.read_text(encoding="utf-8") if source.exists() else ""
                if name not in _defined_names(text):
                    problems.append(f"{path.relative_to(project)}: {module} has no {name}")
    return problems


def test_unchosen_options_leave_no_trace_in_python(every_bake):
    """No import names a module the hook removed, or a name it stripped from a module."""
    problems = [
        f"{answers}: {problem}"
        for answers, project in every_bake.items()
        for problem in _missing_imports(project)
    ]
    assert not problems, "\n".join(sorted(set(problems))[:40])


def test_the_covering_rows_name_no_module_or_setting_of_an_unchosen_option(every_bake):
    """tests/option_traces.py: e.g. a YAML project never mentions sqlite_path or sql.py."""
    problems = []
    for row in PAIRWISE_ROWS:
        project = every_bake[json.dumps(row, sort_keys=True)]
        problems += [f"{row_id(row)}: {trace}" for trace in traces(project, row)]
    assert not problems, "\n".join(problems[:40])


# --- the template and every combination: types ------------------------------------------


def _typed_sources(project: Path) -> dict[str, bytes]:
    """What mypy reads of a project: its Python files and pyproject.toml (its settings)."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file()
        and (path.suffix == ".py" or path.name == "pyproject.toml")
        and not SKIP_DIRS & set(path.relative_to(project).parts)
    }


def _mirror(sources: dict[str, bytes], folder: Path) -> None:
    """Make `folder` hold exactly `sources`, writing only the files that differ: mypy's
    cache then stays valid for every module whose file and imports did not change."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in [p for p in folder.rglob("*") if p.is_file()]:
        if path.relative_to(folder).as_posix() not in sources:
            path.unlink()
    for name, data in sources.items():
        path = folder / name
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _file_digests(tree: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in tree.items()}


def _digest(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()


def _nearest_first(start: dict[str, str], trees: list[dict[str, str]]) -> list[int]:
    """An order of `trees` (path -> digest) where each differs little from the one before."""
    files = [set(tree.items()) for tree in trees]
    order: list[int] = []
    left = set(range(len(trees)))
    current = set(start.items())
    while left:
        nearest = min(left, key=lambda i: (len(current ^ files[i]), i))
        order.append(nearest)
        left.remove(nearest)
        current = files[nearest]
    return order


def test_the_template_and_every_combination_type_check(every_bake, template_repo, tmp_path):
    """mypy, with the project's own settings (pyproject.toml), is clean on the unrendered
    template folder and on every combination.

    Most combinations differ only outside Python (settings.toml, requirements), so each
    distinct Python tree is checked once. The trees are checked one after the other in
    one folder with one mypy cache, nearest first: a run re-checks only the modules that
    changed since the previous tree, and what depends on them.
    """
    template = _typed_sources(template_repo / TEMPLATE_DIR.name)
    trees: dict[str, dict[str, bytes]] = {}  # the digest of a tree -> the tree
    groups: dict[str, list[str]] = {}  # the digest of a tree -> the answers that make it
    for answers, project in every_bake.items():
        tree = _typed_sources(project)
        key = _digest(_file_digests(tree))
        trees.setdefault(key, tree)
        groups.setdefault(key, []).append(answers)
    keys = list(trees)
    order = _nearest_first(_file_digests(template), [_file_digests(trees[k]) for k in keys])
    checks = [("the template folder", template)] + [
        (f"{len(groups[keys[i]])} combination(s) like {groups[keys[i]][0]}", trees[keys[i]])
        for i in order
    ]
    folder, cache = tmp_path / "project", tmp_path / "mypy_cache"
    failures = []
    for label, tree in checks:
        _mirror(tree, folder)
        result = run([sys.executable, "-m", "mypy", "--cache-dir", cache, "."], folder)
        if result.returncode != 0:
            failures.append(f"{label}:\n{explain(result, tail=3000)}")
    print(f"mypy checked the template and {len(groups)} distinct trees of {len(every_bake)}")
    assert not failures, "\n\n".join(failures[:5])


# --- a covering set: the generated project's own tests ---------------------------------


@pytest.mark.parametrize("answers", SUITE_ROWS, ids=[row_id(r) for r in SUITE_ROWS])
def test_generated_suite_passes(bake, answers):
    baked = bake(**answers)
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not stress"],
        baked.project_dir,
        timeout=900,
    )
    assert result.returncode == 0, explain(result)
