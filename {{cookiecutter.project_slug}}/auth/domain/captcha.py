"""The image captcha: a random code drawn by the `captcha` package's ImageCaptcha.

The code stays on the server (the challenge lives in the browser session's
server-side state); the browser only ever gets the picture. A challenge is
checked once, whatever the answer, and expires. The generator deletes this file
when a project is made without a captcha (auth/web/captcha_field.py then shows nothing).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from captcha.image import ImageCaptcha

# No 0/O, 1/I/L, 5/S, 2/Z: easy to tell apart in a distorted picture.
ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
LENGTH = 5
LIFETIME = timedelta(minutes=5)
MAX_ANSWER_CHARS = 32
_image = ImageCaptcha(width=220, height=80)


@dataclass(frozen=True)
class Challenge:
    answer: str
    png: bytes
    expires_at: datetime


def new_challenge(now: datetime) -> Challenge:
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return Challenge(
        answer=answer, png=_image.generate(answer).getvalue(), expires_at=now + LIFETIME
    )


def check(challenge: Challenge | None, typed: object, now: datetime) -> bool:
    """True when `typed` matches a live challenge (ignoring case and spaces)."""
    if challenge is None or challenge.expires_at <= now or not isinstance(typed, str):
        return False
    if len(typed) > MAX_ANSWER_CHARS:
        return False
    cleaned = "".join(typed.split()).upper()
    return hmac.compare_digest(cleaned.encode(), challenge.answer.encode())
