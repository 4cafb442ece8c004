"""Every text a person reads on the auth pages, one module per language: `T` is the one in use.

`T` is the `Texts` class of the module that `[app] language` in settings.toml names
("en", auth/texts/en.py, unless set), chosen once when the app starts. Pages, adapters
and the domain write `T.sign_in_failed` or `T.sign_in_title.format(app=...)`, never
the words themselves.

Reword: edit auth/texts/en.py (or your language's module).

Translate, e.g. to German:

1. Create auth/texts/de.py:

       from auth.texts.en import Texts as English


       class Texts(English):
           sign_in: str = "Anmelden"
           sign_in_title: str = "Bei {app} anmelden"

   Copy the names you translate from en.py; leave out the others, they stay English.
   Keep every `{placeholder}` of a text exactly (tests/auth/test_texts.py checks the
   names and placeholders of every module here).
2. Set `language = "de"` under `[app]` in settings.toml. A language with no module
   here stops the app at start.

This package sits below the domain: it imports nothing of the app but auth.config.
"""

from __future__ import annotations

import importlib

from auth.config import ConfigError, configured_language
from auth.texts.en import Texts as English

__all__ = ["English", "T", "texts_for"]


def texts_for(language: str) -> type[English]:
    """The `Texts` class of auth/texts/<language>.py."""
    module = importlib.import_module(f"{__name__}.{language}")
    texts = getattr(module, "Texts", None)
    if not (isinstance(texts, type) and issubclass(texts, English)):
        raise ConfigError(
            f"auth/texts/{language}.py must define `class Texts(English)` "
            "(see auth/texts/__init__.py)"
        )
    return texts


T = texts_for(configured_language())
