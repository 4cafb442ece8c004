"""auth/texts: every language module fits English, `[app] language` picks the module, and
the pages pass no words of their own to Streamlit (the texts stay in one place)."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

from auth.config import ConfigError, configured_language, languages, load_settings
from auth.texts import English, T, texts_for
from tests.auth.test_config import good_secrets
from tests.conftest import PROJECT_DIR

TEXTS_DIR = PROJECT_DIR / "auth" / "texts"


def placeholders(text: str) -> set[str]:
    """The `str.format` fields of a text: "Sign in to {app}" -> {"app"}."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def english() -> dict[str, str]:
    return {name: value for name, value in vars(English).items() if not name.startswith("_")}


def mismatches(texts: type) -> list[str]:
    """What a language's `Texts` gets wrong: names English lacks, other placeholders."""
    reference, found = english(), []
    for name, value in vars(texts).items():
        if name.startswith("_"):
            continue
        if name not in reference:
            found.append(f"{name}: en.py has no text of that name")
        elif not isinstance(value, str):
            found.append(f"{name}: not a string")
        elif placeholders(value) != placeholders(reference[name]):
            found.append(
                f"{name}: placeholders {sorted(placeholders(value))}, "
                f"in English {sorted(placeholders(reference[name]))}"
            )
    return found


# --- the language modules -----------------------------------------------------------------


def test_english_has_typed_texts_with_readable_placeholders():
    texts = english()
    assert len(texts) > 100
    annotations = English.__annotations__
    assert all(isinstance(value, str) and value for value in texts.values())
    assert sorted(annotations) == sorted(texts)
    assert set(annotations.values()) == {"str"}
    assert placeholders(T.sign_in_title) == {"app"}  # every text parses (above raises if not)


@pytest.mark.parametrize("language", languages())
def test_every_language_module_uses_english_names_and_placeholders(language):
    texts = texts_for(language)
    assert issubclass(texts, English)
    assert mismatches(texts) == []


def test_the_check_finds_an_unknown_name_and_a_changed_placeholder(tmp_path):
    """The test above is not vacuous with English alone: a faulty translation fails it."""
    source = tmp_path / "xx.py"
    source.write_text(
        "from auth.texts.en import Texts as English\n\n\n"
        "class Texts(English):\n"
        '    sign_in_title = "Anmelden bei {name}"\n'
        '    sing_in = "Anmelden"\n'
        '    sign_out = "Abmelden"\n'
    )
    spec = importlib.util.spec_from_file_location("translation_under_test", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = mismatches(module.Texts)
    assert len(found) == 2
    assert found[0].startswith("sign_in_title: placeholders ['name']")
    assert found[1].startswith("sing_in: en.py has no text")


def test_every_text_is_used_somewhere():
    """en.py holds no stale texts (option markers strip a text with the code that shows it)."""
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in PROJECT_DIR.rglob("*.py")
        if not {"tests", "texts", ".venv"} & set(path.relative_to(PROJECT_DIR).parts)
    )
    unused = [name for name in english() if not re.search(rf"\bT\.{name}\b", sources)]
    assert unused == []


# --- [app] language -----------------------------------------------------------------------


def test_the_shipped_project_speaks_english():
    assert configured_language() == "en" and T is English
    assert languages() == sorted(p.stem for p in TEXTS_DIR.glob("*.py") if p.stem != "__init__")


def write_settings(folder: Path, language: str) -> Path:
    path = folder / "settings.toml"
    path.write_text(f'[app]\nlanguage = "{language}"\n', encoding="utf-8")
    return path


def test_settings_accept_a_language_with_a_module(tmp_path):
    settings = load_settings(good_secrets(), write_settings(tmp_path, "en"))
    assert settings.language == "en"
    assert load_settings(good_secrets(), tmp_path / "none.toml").language == "en"


@pytest.mark.parametrize("language", ["xx", "", "../en", "__init__", "EN"])
def test_a_language_without_a_module_refuses_to_start(tmp_path, language):
    path = write_settings(tmp_path, language)
    with pytest.raises(ConfigError, match=r"\[app\] language .* one of en"):
        load_settings(good_secrets(), path)
    with pytest.raises(ConfigError, match=r"\[app\] language"):
        configured_language(path)


GERMAN = """from auth.texts.en import Texts as English


class Texts(English):
    sign_in_title: str = "Bei {app} anmelden"
"""


def copy_of_the_texts(tmp_path: Path, language: str) -> Path:
    """A project folder with the settings, the texts and a German module: all auth/texts needs."""
    (tmp_path / "auth").mkdir()
    for name in ("__init__.py", "config.py"):
        shutil.copy(PROJECT_DIR / "auth" / name, tmp_path / "auth" / name)
    shutil.copytree(TEXTS_DIR, tmp_path / "auth" / "texts", ignore=shutil.ignore_patterns("__py*"))
    (tmp_path / "auth" / "texts" / "de.py").write_text(GERMAN, encoding="utf-8")
    write_settings(tmp_path, language)
    return tmp_path


def texts_in(project: Path) -> subprocess.CompletedProcess[str]:
    code = "from auth.texts import T\nprint(T.sign_in_title)\nprint(T.sign_out)\n"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False
    )


def test_the_language_setting_picks_the_module_and_english_fills_the_gaps(tmp_path):
    result = texts_in(copy_of_the_texts(tmp_path, "de"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Bei {app} anmelden", T.sign_out]


def test_the_texts_refuse_a_language_without_a_module(tmp_path):
    result = texts_in(copy_of_the_texts(tmp_path, "fr"))
    assert result.returncode != 0
    assert "ConfigError: settings.toml: [app] language" in result.stderr
    assert "one of de, en" in result.stderr


# --- no words in the pages ----------------------------------------------------------------

# Streamlit calls that show text, and which of their arguments hold it.
TEXT_CALLS = {
    "title", "header", "subheader", "caption", "write", "markdown", "text", "info",
    "warning", "error", "success", "exception", "toast", "button", "form_submit_button",
    "download_button", "link_button", "page_link", "text_input", "text_area", "number_input",
    "date_input", "time_input", "selectbox", "multiselect", "radio", "checkbox", "toggle",
    "slider", "select_slider", "file_uploader", "color_picker", "metric", "expander",
    "popover", "tabs", "spinner", "status", "progress", "image", "bar_chart", "line_chart",
    "area_chart", "scatter_chart", "dialog",
}  # fmt: skip
TEXT_KEYWORDS = {"label", "body", "placeholder", "help", "caption", "text", "x_label", "y_label"}
# Which positional arguments are text: the first, except where noted.
POSITIONAL = {
    "write": None,  # every one
    "page_link": (1,),  # (page, label, icon): our helper in auth/web/links.py
    "image": (),
    "progress": (),
    "bar_chart": (),
    "line_chart": (),
    "area_chart": (),
    "scatter_chart": (),
}
ICON = re.compile(r":material/[a-z0-9_]+:")
# The Home page is the app's own, to be replaced; main.py's only text is for operators.
CHECKED = [
    path
    for path in sorted((PROJECT_DIR / "app_pages").glob("*.py"))
    + sorted((PROJECT_DIR / "auth" / "web").glob("*.py"))
    + [PROJECT_DIR / "menu.py"]
    if path.name != "home.py"
]


def _words(node: ast.AST) -> list[ast.Constant]:
    """String constants with letters in an argument, outside T and subscripts ({x['key']})."""
    found: list[ast.Constant] = []
    skipped: set[int] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Subscript):
            skipped.update(id(n) for n in ast.walk(child.slice))
        elif isinstance(child, ast.FormattedValue) and child.format_spec is not None:
            skipped.update(id(n) for n in ast.walk(child.format_spec))
        elif (
            isinstance(child, ast.Constant)
            and isinstance(child.value, str)
            and id(child) not in skipped
            and any(ch.isalpha() for ch in child.value)
            and not ICON.fullmatch(child.value)
        ):
            found.append(child)
    return found


def literal_texts(source: str, name: str = "<source>") -> list[str]:
    """Every word a Streamlit text call in `source` gets from the code instead of from T."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called not in TEXT_CALLS:
            continue
        indexes = POSITIONAL.get(called, (0,))
        arguments = [a for i, a in enumerate(node.args) if indexes is None or i in indexes]
        arguments += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for argument in arguments:
            for constant in _words(argument):
                found.append(f"{name}:{constant.lineno}: {called}({constant.value!r})")
    return found


def test_pages_and_adapters_take_every_word_from_the_texts():
    found = [
        problem
        for path in CHECKED
        for problem in literal_texts(
            path.read_text(encoding="utf-8"), str(path.relative_to(PROJECT_DIR))
        )
    ]
    assert found == [], "move these texts to auth/texts/en.py:\n" + "\n".join(found)


def test_the_word_check_sees_labels_messages_and_f_strings():
    source = """
st.button("Save")
st.caption(f"{count} users", help="More")
left.markdown(T.a or 'none')
page_link("app_pages/login.py", "Back")
st.button(T.save, icon=":material/save:", key="save_button", type="primary")
st.write(f"**{T.status}**  \\n{record['status']:>10}")
page_link("app_pages/login.py", T.sign_in, ":material/login:")
st.image(png, caption=T.picture_caption)
"""
    found = literal_texts(source)
    assert [line.split(": ", 1)[1] for line in found] == [
        "button('Save')",
        "caption(' users')",
        "caption('More')",
        "markdown('none')",
        "page_link('Back')",
    ]
