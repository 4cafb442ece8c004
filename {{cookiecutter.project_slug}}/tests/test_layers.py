"""The layers stay visible: pages -> Streamlit adapters (auth/web) -> domain (auth/domain,
no Streamlit) -> storage (auth/store); the texts (auth/texts) sit below the domain and
above the settings. Each rule is checked on the source, so a new import that breaks one
fails here with the file and the line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
PAGES = [
    PROJECT_DIR / name for name in ("main.py", "menu.py", "navigation.py", "streamlit_app.py")
] + sorted((PROJECT_DIR / "app_pages").glob("*.py"))


def modules(folder: str) -> list[Path]:
    return sorted((PROJECT_DIR / folder).rglob("*.py"))


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, top-level or inside a function."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            # "from auth import store" names a module too
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
    return found


def offences(paths: list[Path], *forbidden: str) -> list[str]:
    def hit(module: str) -> bool:
        return any(module == f or module.startswith(f + ".") for f in forbidden)

    return [
        f"{path.relative_to(PROJECT_DIR)}:{line} imports {module}"
        for path in paths
        for line, module in imports(path)
        if hit(module)
    ]


def test_the_domain_never_imports_streamlit_or_the_adapters():
    assert not offences(modules("auth/domain"), "streamlit", "auth.web")


def test_the_store_imports_neither_the_domain_nor_streamlit():
    assert not offences(modules("auth/store"), "streamlit", "auth.web", "auth.domain")


def test_the_texts_import_nothing_of_the_app_but_the_settings():
    """Every layer uses the texts, so they pull in no layer: not Streamlit, the domain, the
    adapters, the store or the app's top-level modules."""
    app = ("auth.domain", "auth.web", "auth.store", "main", "menu", "navigation", "manage")
    assert not offences(modules("auth/texts"), "streamlit", *app)


def test_settings_depend_on_nothing_of_the_app():
    assert not offences([PROJECT_DIR / "auth" / "config.py"], "streamlit", "auth.")


def test_pages_never_touch_the_store():
    """Pages call the domain (through auth/web where they need Streamlit); data stays below."""
    assert not offences(PAGES, "auth.store")
    direct = [
        f"{path.relative_to(PROJECT_DIR)}:{node.lineno} uses .store"
        for path in PAGES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "store"
    ]
    assert not direct


def test_importing_every_domain_and_store_module_loads_no_streamlit():
    """The same rule at run time: no transitive import pulls Streamlit in."""
    below_streamlit = (
        modules("auth/domain")
        + modules("auth/store")
        + modules("auth/texts")
        + [PROJECT_DIR / "auth/config.py"]
    )
    names = [
        ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts).removesuffix(".__init__")
        for path in below_streamlit
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError as exc:\n"
        "        if exc.name and exc.name.startswith('auth'):\n"
        "            raise\n"  # a library of another backend may be missing: that is fine
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("folder", ["auth/domain", "auth/web", "auth/store", "auth/texts"])
def test_every_module_is_listed_in_the_readme(folder):
    """README.md's "Where things live" names every module, so a newcomer finds the room."""
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    missing = [
        str(path.relative_to(PROJECT_DIR))
        for path in modules(folder)
        if path.name != "__init__.py"
        and str(path.relative_to(PROJECT_DIR)) not in section
        and f"`{path.name}`" not in section
    ]
    assert not missing, f"not in README.md's table: {missing}"
