"""Option markers in Python files: hooks/post_gen_project.py keeps the blocks of the chosen
option values, drops the others and the marker lines, and refuses anything malformed."""

from __future__ import annotations

import re

import pytest

from tests.conftest import OPTIONS, TEMPLATE_DIR, load_hook

post = load_hook("post_gen_project")

CHOSEN = {"storage": "yaml", "registration": "disabled", "captcha": "image", "guests": "no"}


def strip(text: str, **chosen: str) -> str:
    return post.strip_markers(text, CHOSEN | chosen, OPTIONS, "x.py")


def test_a_block_stays_when_its_value_was_chosen_and_goes_otherwise():
    text = (
        "a = 1\n"
        "# [option: captcha=image]\n"
        "b = 2\n"
        "# [end option: captcha=image]\n"
        "# [option: storage=sqlite,postgres]\n"
        "c = 3\n"
        "# [end option: storage=sqlite,postgres]\n"
        "d = 4\n"
    )
    assert strip(text) == "a = 1\nb = 2\nd = 4\n"
    assert strip(text, storage="postgres", captcha="none") == "a = 1\nc = 3\nd = 4\n"


def test_a_line_marker_keeps_or_drops_that_line_only():
    text = (
        "from x import (\n"
        "    a,\n"
        "    b,  # [option: registration=invite_only,open]\n"
        ")\n"
        "c = 1  # noqa: S105  # [option: registration=disabled]\n"
    )
    assert strip(text) == "from x import (\n    a,\n)\nc = 1  # noqa: S105\n"
    assert strip(text, registration="open") == "from x import (\n    a,\n    b,\n)\n"


def test_blocks_nest_and_an_inner_block_needs_the_outer_one():
    text = (
        "# [option: storage=sqlite,postgres]\n"
        "a = 1\n"
        "# [option: storage=postgres]\n"
        "b = 2\n"
        "# [end option: storage=postgres]\n"
        "c = 3  # [option: captcha=image]\n"
        "# [end option: storage=sqlite,postgres]\n"
        "d = 4\n"
    )
    assert strip(text, storage="sqlite") == "a = 1\nc = 3\nd = 4\n"
    assert strip(text, storage="postgres", captcha="none") == "a = 1\nb = 2\nd = 4\n"
    assert strip(text, storage="yaml") == "d = 4\n"


def test_a_removed_block_leaves_the_blank_lines_a_formatter_wants():
    text = (
        "import os\n\n\n"
        "# [option: guests=yes]\n"
        "def a():\n    return os\n\n\n"
        "# [end option: guests=yes]\n"
        "def b():\n    return 2\n\n\n"
        "# [option: guests=yes]\n"
        "def c():\n    return 3\n\n\n"
        "# [end option: guests=yes]\n"
    )
    assert strip(text) == "import os\n\n\ndef b():\n    return 2\n"
    kept = "import os\n\n\ndef a():\n    return os\n\n\ndef b():\n    return 2\n\n\ndef c():\n"
    assert strip(text, guests="yes") == kept + "    return 3\n"


def test_text_without_markers_is_unchanged():
    text = '"""Doc.\n\nMore.\n"""\n\nx = [\n    1,\n]\n'
    assert strip(text) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# [option: captcha=image]\nx = 1\n", "never closed"),
        ("x = 1\n# [end option: captcha=image]\n", "without an opening"),
        (
            "# [option: captcha=image]\n# [option: storage=yaml]\n"
            "# [end option: captcha=image]\n# [end option: storage=yaml]\n",
            "closes",
        ),
        ("# [option: captcha=image]\n# [end option: captcha=none]\n", "closes"),
        ("# [option: colour=red]\n# [end option: colour=red]\n", "unknown option 'colour'"),
        ("x = 1  # [option: captcha=audio]\n", "no value audio"),
        ("# [option captcha=image]\n", "malformed"),
        ("#[option: captcha=image]\n", "malformed"),
        ("# [option: captcha = image]\n", "malformed"),
        ("# [option: captcha=image] and more\n", "malformed"),
        ("# [end option]\n", "malformed"),
        ("x = 1  # [end option: captcha=image]\n", "malformed"),
    ],
)
def test_unbalanced_unknown_or_malformed_markers_stop_the_bake(text, message):
    with pytest.raises(post.OptionError, match=message) as error:
        strip(text)
    assert str(error.value).startswith("x.py")


def test_markers_are_stripped_from_every_python_file_of_the_project(tmp_path):
    (tmp_path / "pkg").mkdir()
    marked = "a = 1\n# [option: captcha=none]\nb = 2\n# [end option: captcha=none]\n"
    (tmp_path / "pkg" / "m.py").write_text(marked)
    (tmp_path / "notes.md").write_text(marked)  # only Python files carry markers
    post.strip_option_markers(tmp_path, CHOSEN, OPTIONS)
    assert (tmp_path / "pkg" / "m.py").read_text() == "a = 1\n"
    assert (tmp_path / "notes.md").read_text() == marked


def test_every_marker_in_the_template_names_an_option_and_values_of_the_table():
    """Strip every template file under every combination of values: no marker error."""
    import itertools

    names = list(OPTIONS)
    combos = itertools.product(*(list(OPTIONS[name]["values"]) for name in names))
    files = {
        path: path.read_text(encoding="utf-8")
        for path in TEMPLATE_DIR.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    marked = {path: text for path, text in files.items() if post.MARKER_RE.search(text)}
    assert marked, "the template has option markers"
    for values in combos:
        chosen = dict(zip(names, values, strict=True))
        for path, text in marked.items():
            result = post.strip_markers(text, chosen, OPTIONS, str(path))
            assert not post.MARKER_RE.search(result)
            compile(result, str(path), "exec")


def test_the_marker_syntax_cannot_be_taken_for_jinja():
    for pattern in (post.OPEN_RE, post.CLOSE_RE, post.LINE_RE):
        assert not re.search(r"\{[{%#]", pattern.pattern)
