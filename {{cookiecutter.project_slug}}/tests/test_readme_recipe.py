"""The README's recipe for a role-guarded page, followed literally, does what it says."""

from __future__ import annotations

import re

import pytest

import navigation
from auth.texts import T
from navigation import PageSpec
from tests.app_pages.support import MAIN, PAGES, app, errors, main_module_kept, menu_titles
from tests.conftest import PROJECT_DIR

README = PROJECT_DIR / "README.md"


def recipe() -> tuple[str, str]:
    """The page file's code and the PAGES line, as the README shows them."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Add a page and guard it by role", 1)[1].split("\n## ", 1)[0]
    blocks = [re.sub(r"(?m)^   ", "", b) for b in re.findall(r"```python\n(.*?)```", section, re.S)]
    page_code, pages_line = blocks
    assert "require_role" in page_code
    return page_code, pages_line.strip()


@pytest.fixture
def reports_page(monkeypatch):
    page_code, pages_line = recipe()
    spec = eval(pages_line, {"PageSpec": PageSpec})  # noqa: S307 - our own README
    spec = spec[0] if isinstance(spec, tuple) else spec
    assert spec.path == "app_pages/reports.py" and spec.roles == ("editor",)
    path = PAGES / "reports.py"
    assert not path.exists(), "app_pages/reports.py already exists: the recipe would clash"
    path.write_text(page_code, encoding="utf-8")
    monkeypatch.setattr(navigation, "PAGES", (*navigation.PAGES, spec))
    try:
        with main_module_kept():
            yield path
    finally:
        path.unlink()


def test_an_editor_sees_the_new_page_in_the_menu_and_can_open_it(
    services, make_user, sign_in, reports_page
):
    editor = make_user("eddie", roles=("editor",))
    at = app(MAIN, sign_in(editor)).run()
    assert "Reports" in menu_titles(at)
    page = app(reports_page, sign_in(editor)).run()
    assert [t.value for t in page.title] == ["Reports"]


def test_a_viewer_neither_sees_nor_opens_the_new_page(services, make_user, sign_in, reports_page):
    viewer = make_user("vivian", roles=("viewer",))
    at = app(MAIN, sign_in(viewer)).run()
    assert "Reports" not in menu_titles(at)
    page = app(reports_page, sign_in(viewer)).run()
    assert errors(page) == [T.guard_not_allowed] and not page.title
