"""Jinja filters for the template's rendered files (cookiecutter loads them via ``_extensions``).

``{{ value|toml }}`` writes a TOML value: a string becomes a basic string with
every quote, backslash and control character escaped and every other character
written as is. Cookiecutter's ``jsonify`` and Jinja's ``tojson`` are not safe
for TOML: they write characters outside the Basic Multilingual Plane (emoji) as
JSON surrogate pairs such as ``\\ud83d\\ude80``, which TOML rejects.
"""

from __future__ import annotations

from typing import Any

from cookiecutter.utils import simple_filter

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_value(value: object) -> str:
    """``value`` (str, bool, int, or a list of those) as TOML source text."""
    if isinstance(value, str):
        out = []
        for ch in value:
            code = ord(ch)
            if ch in _ESCAPES:
                out.append(_ESCAPES[ch])
            elif code < 0x20 or code == 0x7F:
                out.append(f"\\u{code:04X}")
            elif 0xD800 <= code <= 0xDFFF:
                raise ValueError("lone surrogates cannot be written to TOML")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


@simple_filter
def toml(value: object) -> str:
    return toml_value(value)


def chosen_option_values(context: dict[str, Any]) -> dict[str, str]:
    """The chosen value of every option in cookiecutter.json's ``_options`` table.

    A choice question's answer, or "yes"/"no" for an option derived from yes/no
    questions (``any_of``). hooks/post_gen_project.py has the same rule
    (``chosen_values``; tests/test_options.py checks that they agree).
    """
    chosen = {}
    for name, spec in context["_options"].items():
        if "any_of" in spec:
            chosen[name] = "yes" if any(context[q] is True for q in spec["any_of"]) else "no"
        else:
            chosen[name] = str(context[name])
    return chosen


@simple_filter
def chosen_options(context: dict[str, Any]) -> dict[str, str]:
    """``{% set chosen = cookiecutter|chosen_options %}``: each option's chosen value."""
    return chosen_option_values(context)
