"""Helpers for AppTest: open a script by absolute path, act as a browser, read what it shows."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, UnknownElement

from auth.web import keys

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
MAIN = PROJECT_DIR / "main.py"
PAGES = PROJECT_DIR / "app_pages"
MENU_KEY = keys.MENU
REDIRECT_KEY = "auth_redirect"


@contextmanager
def main_module_kept() -> Iterator[None]:
    """Put sys.modules["__main__"] back after AppTest runs.

    Streamlit's script runner installs each script it runs as `__main__` and AppTest
    leaves it there; a later multiprocessing "spawn" child would then re-run that page
    script as its main module and fail (tests/auth/store/test_contract.py does spawn).
    """
    main = sys.modules["__main__"]
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def app(script: Path | str, token: str | None = None, **user) -> AppTest:
    """An AppTest of `script` (absolute path); with `token`, a browser holding that cookie."""
    at = AppTest.from_file(str(Path(script).resolve()), default_timeout=30)
    if token is not None:
        at.user = {"is_logged_in": True, "sid": token, **user}
    return at


def page(name: str, token: str | None = None) -> AppTest:
    """An AppTest of one page file, e.g. page("home")."""
    return app(PAGES / f"{name}.py", token)


def signed_in(at: AppTest) -> bool:
    return bool(at.user.get("is_logged_in"))


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def menu_titles(at: AppTest) -> list[str]:
    """The entries of the sidebar menu (a custom component), [] when there is none."""
    for node in at.sidebar:
        if isinstance(node, Block):
            continue
        if getattr(node, "key", None) == MENU_KEY:
            return json.loads(node.proto.json_args)["options"]
    return []


def redirect_url(at: AppTest) -> str | None:
    """Where the inline redirect component sends the browser, None when it is absent."""
    for node in at.main:
        if not isinstance(node, Block) and getattr(node, "key", None) == REDIRECT_KEY:
            return json.loads(node.proto.json)["url"]
    return None


def shape(at: AppTest) -> list[tuple]:
    """What a person sees, without the values typed into inputs: (type, label/text) per element.

    Two runs with the same shape look the same to whoever is at the keyboard.
    """
    out: list[tuple] = []
    for root in (at.main, at.sidebar):
        for node in root:
            if isinstance(node, Block):
                out.append(("block", node.type))
                continue
            label = getattr(node, "label", None)
            if isinstance(node, UnknownElement):
                out.append((node.type, node.key))
            elif label is not None:
                out.append((node.type, label))
            elif node.type in ("text_input", "text_area", "image"):
                out.append((node.type,))  # typed values; a captcha's picture is random
            else:
                out.append((node.type, str(getattr(node, "value", ""))))
    return out


def is_empty(at: AppTest) -> bool:
    """True when the run rendered nothing at all in the page or the sidebar."""
    return len(at.main.children) == 0 and len(at.sidebar.children) == 0


# [option: captcha=image]
def captcha_input(at: AppTest):
    """The captcha's text input, None when the page shows no captcha."""
    from auth.texts import T

    return next((t for t in at.text_input if t.label == T.captcha_label), None)


def solve_captcha(at: AppTest, key: str, answer: str | None = None) -> bool:
    """Type the answer of the picture shown (read from the server-side state), or `answer`.

    False when no captcha is shown.
    """
    field = captcha_input(at)
    if field is None:
        return False
    if answer is None:
        answer = at.session_state[keys.captcha_challenge(key)].answer
    field.set_value(answer)
    return True


# [end option: captcha=image]
