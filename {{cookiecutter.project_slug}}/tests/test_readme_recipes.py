"""The README's recipes, followed literally, do what they say.

Each test takes the code blocks of one README section and applies them the way a
reader would: a line added where the README says, a settings line replaced, a
command run. Files are changed in copies, never in the project itself.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
import textwrap
import tomllib
from dataclasses import replace

import pytest

import navigation
from auth.config import load_settings
from auth.domain import oidc  # [option: guests=yes]
from auth.texts import T
from tests.app_pages.support import (
    MAIN,
    PAGES,
    app,
    errors,
    main_module_kept,
    menu_titles,
    page,
)
from tests.conftest import PROJECT_DIR
from tests.test_manage import CLI

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of one `## ` section of the README."""
    assert f"\n## {title}\n" in README, f"README.md has no section {title!r}"
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def blocks(text: str, language: str) -> list[str]:
    """The code blocks of `language` in `text`, without the list's indentation."""
    found = re.findall(rf"( *)```{language}\n(.*?)\n *```", text, re.S)
    return [textwrap.dedent("\n".join(line for line in code.split("\n"))) for _, code in found]


def replace_line(text: str, new_line: str) -> str:
    """`text` with the line that sets the same TOML key as `new_line` replaced by it."""
    key = new_line.split("=", 1)[0].strip()
    pattern = re.compile(rf"^{re.escape(key)} = .*$", re.M)
    assert len(pattern.findall(text)) == 1, f"{key} is not set exactly once"
    return pattern.sub(lambda _: new_line, text)


def base_secrets(services) -> dict[str, dict]:
    """The secrets loading this project's settings.toml needs (nothing is opened)."""
    secrets: dict[str, dict] = {
        "auth": {"cookie_secret": services.settings.cookie_secret},
        "passwords": {"pepper": services.settings.pepper},
    }
    # [option: storage=postgres]
    secrets["connections"] = {"sql": {"url": "postgresql://app@db.example.com/app"}}
    # [end option: storage=postgres]
    return secrets


# --- Add a page and guard it by role -------------------------------------------------


def test_the_page_recipe_adds_a_page_only_its_role_sees(monkeypatch, services, make_user, sign_in):
    page_code, pages_block = blocks(section("Add a page and guard it by role"), "python")
    [pages_line] = [line for line in pages_block.splitlines() if "app_pages/reports.py" in line]
    page = PAGES / "reports.py"
    assert not page.exists(), "app_pages/reports.py exists already: the recipe would clash"
    # navigation.py checks at import that every page it lists exists, so the edited copy
    # sits next to the real one (under a name nothing imports) and step 1 comes first.
    copy = PROJECT_DIR / f".navigation_recipe_{os.getpid()}.py"
    try:
        page.write_text(page_code, encoding="utf-8")  # step 1
        # Step 2, literally: the line goes into PAGES under "# Add your pages here".
        source = (PROJECT_DIR / "navigation.py").read_text(encoding="utf-8")
        anchor = re.search(r"^ *# Add your pages here.*\n", source, re.M)
        assert anchor, "navigation.py lost the line the README points at"
        copy.write_text(
            source[: anchor.end()] + pages_line.rstrip() + "\n" + source[anchor.end() :],
            encoding="utf-8",
        )
        spec = importlib.util.spec_from_file_location("navigation_after_recipe", copy)
        assert spec is not None and spec.loader is not None
        after = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, after)  # dataclasses look their module up
        spec.loader.exec_module(after)  # it still imports: the line fits the tuple
        [added] = [p for p in after.PAGES if p.path == "app_pages/reports.py"]
        assert added.roles == ("editor",)

        # The result: the page exists for editors only.
        monkeypatch.setattr(navigation, "PAGES", (*navigation.PAGES, added))
        editor = make_user("eddie", roles=("editor",))
        viewer = make_user("vivian", roles=("viewer",))
        with main_module_kept():
            assert "Reports" in menu_titles(app(MAIN, sign_in(editor)).run())
            assert "Reports" not in menu_titles(app(MAIN, sign_in(viewer)).run())
        assert [t.value for t in app(page, sign_in(editor)).run().title] == ["Reports"]
        refused = app(page, sign_in(viewer)).run()
        assert errors(refused) == [T.guard_not_allowed] and not refused.title
    finally:
        page.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)


def test_a_page_whose_file_is_missing_stops_the_app_at_start():
    """What the recipe promises for a typo in the path."""
    typo = replace(navigation.PAGES[-1], path="app_pages/reprots.py")
    with pytest.raises(navigation.MissingPageError, match="reprots.py"):
        navigation.check_pages((*navigation.PAGES, typo))


# --- Add a role ---------------------------------------------------------------------------


def test_the_role_recipe_adds_a_role_people_can_be_given(tmp_path, services):
    text = section("Add a role")
    [settings_line] = blocks(text, "toml")
    [command] = blocks(text, "bash")
    # Step 1 on the project's own settings.toml: the role is there, the others stay.
    source = (PROJECT_DIR / "settings.toml").read_text(encoding="utf-8")
    edited = tmp_path / "settings.toml"
    edited.write_text(replace_line(source, settings_line.strip()), encoding="utf-8")
    secrets = base_secrets(services)
    before = load_settings(secrets).roles
    assert load_settings(secrets, edited).roles == (*before, "auditor")

    # Step 2, the command as printed, on a store of its own.
    (tmp_path / "cli").mkdir()
    cli = CLI(tmp_path / "cli")
    roles_line = re.search(r"^available = .*$", settings_line, re.M)
    assert roles_line is not None
    cli.settings_file.write_text(
        replace_line(cli.settings_file.read_text(encoding="utf-8"), roles_line[0]),
        encoding="utf-8",
    )
    cli.create("alice")
    argv = command.strip().split()
    assert argv[:2] == ["python", "manage.py"]
    result = cli.run(*argv[2:])
    assert result.code == 0, result.err
    assert cli.user("alice")["roles"] == ["auditor"]


# [option: guests=yes]
# --- Add an OpenID provider ------------------------------------------------------------------


def test_the_provider_recipe_adds_a_sign_in_button(tmp_path, services):
    if "\n## Add an OpenID provider\n" not in README:
        pytest.skip("every provider the template knows is on already: nothing to add")
    text = section("Add an OpenID provider")
    settings_line, secrets_block = blocks(text, "toml")
    source = (PROJECT_DIR / "settings.toml").read_text(encoding="utf-8")
    edited = tmp_path / "settings.toml"
    edited.write_text(replace_line(source, settings_line.strip()), encoding="utf-8")
    added = tomllib.loads(secrets_block)["auth"]
    [name] = added
    secrets = base_secrets(services)
    secrets["auth"] |= {"redirect_uri": "http://localhost:8501/oauth2callback", **added}
    settings = load_settings(secrets, edited)
    assert name in settings.oidc_providers
    ready, _ = oidc.configured_providers(settings.oidc_providers, secrets)
    assert ready == [name]  # the recipe's provider; the others have no secrets here

    services.settings = replace(services.settings, oidc_providers=settings.oidc_providers)
    at = page("login")
    at.secrets["auth"] = secrets["auth"]
    buttons = [b.label for b in at.run().button]
    assert T.oidc_sign_in_with.format(provider=oidc.LABELS[name]) in buttons


# [end option: guests=yes]
# --- Change the sign-in page's look --------------------------------------------------------


def test_the_theme_recipe_turns_the_commented_block_into_a_valid_theme():
    from streamlit import config

    text = section("Change the sign-in page's look")
    [example] = blocks(text, "toml")
    shipped = (PROJECT_DIR / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    # "Remove the '# ' in front of [theme] and of the options you want":
    wanted = {line.split("=", 1)[0].strip() for line in example.splitlines() if "=" in line}
    uncommented = "\n".join(
        line[2:]
        if line.startswith("# ")
        and (line == "# [theme]" or line[2:].split("=", 1)[0].strip() in wanted)
        else line
        for line in shipped.splitlines()
    )
    theme = tomllib.loads(uncommented)["theme"]
    assert set(theme) == wanted
    options = set(config._config_options_template)
    assert {f"theme.{name}" for name in theme} <= options
    commented = re.findall(r"^# (\w+) = ", shipped, re.M)
    assert commented and {f"theme.{name}" for name in commented} <= options


def test_the_wording_recipe_changes_the_sign_in_title(monkeypatch, services):
    [line] = blocks(section("Change the sign-in page's look"), "python")
    edited = re.fullmatch(r"(\w+): str = (.+)", line.strip())
    assert edited is not None, line
    attribute, value = edited[1], ast.literal_eval(edited[2])
    source = (PROJECT_DIR / "auth" / "texts" / "en.py").read_text(encoding="utf-8")
    assert re.search(rf"^    {attribute}: str = ", source, re.M), "en.py has no such line"
    monkeypatch.setattr(T, attribute, value)  # what the edited line makes of T
    at = page("login").run()
    assert [t.value for t in at.title] == [value.format(app=services.settings.app_name)]
