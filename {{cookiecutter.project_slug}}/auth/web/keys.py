"""Every session-state and widget key of the auth pages and adapters, in one namespace.

Session state is shared by all pages of a browser session, and a widget's key is a
session-state key. Ours all start with "auth.", so a widget that an app page makes
with a key of its own ("sign_out", "menu", "page") can neither trigger nor overwrite
one of them: a page's "sign_out" checkbox once signed its user out.
"""

from __future__ import annotations

PREFIX = "auth."


def key(*parts: str) -> str:
    """A key in our namespace: key("users", "page") -> "auth.users.page"."""
    return PREFIX + ".".join(parts)


# The sidebar (menu.py)
MENU = key("menu")  # the option menu widget
MENU_TARGET = key("menu", "target")  # the page clicked, acted on at the start of the next run
SIGN_OUT = key("sign_out")  # the sign-out button

# The sign-in page (auth/web/sign_in.py)
# [option: captcha=image]
SIGN_IN_CAPTCHA = key("sign_in", "captcha_shown")  # a sign-in failed here: captcha from now on
SIGN_IN_MESSAGE = key("sign_in", "message")  # shown after the rerun that added the captcha
# [end option: captcha=image]
SIGN_IN_UNVERIFIED = key("sign_in", "unverified")  # user id: right password, email unconfirmed

# Self-service pages
REGISTERED = key("register", "done")  # [option: registration=invite_only,open]
RESET_SECRET = key("reset_password", "secret")  # the link's secret, out of the address bar
RESET_DONE = key("reset_password", "done")
VERIFY_RESULT = key("verify_email", "result")  # the confirmed address, "" for a bad link


def flash(page: str) -> str:
    """A message a page shows once, after the rerun its action asked for."""
    return key(page, "flash")


# [option: captcha=image]
def captcha_answer(form: str) -> str:
    """The text input of a form's captcha."""
    return key(form, "captcha", "answer")


def captcha_challenge(form: str) -> str:
    """The challenge (answer and picture) a form's captcha showed; server-side only."""
    return key(form, "captcha", "challenge")


# [end option: captcha=image]
