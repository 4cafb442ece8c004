"""Whether a sign-in must pass a captcha: after a failure for that login text.

Failures are counted per login text (casefolded) in the store, whether or not
an account by that name exists, so the captcha appearing tells nobody anything
about accounts. The store only offers "hit and return the count" counters, so
a check hits a second key as well: earlier failures = seen - checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auth.domain.services import Services

MAX_KEY_CHARS = 254


def _key(login: str) -> str:
    return login.strip().casefold()[:MAX_KEY_CHARS]


def note_failure(services: Services, login: str) -> None:
    """Count a failed sign-in for this login text (kept for the lockout period)."""
    services.store.hit_counter(
        f"signin-seen:{_key(login)}", now=services.now(), window=services.settings.lockout
    )


def failures_before(services: Services, login: str) -> int:
    """How many sign-ins with this login text failed in the current period."""
    now, window = services.now(), services.settings.lockout
    key = _key(login)
    checks = services.store.hit_counter(f"signin-check:{key}", now=now, window=window)
    seen = services.store.hit_counter(f"signin-seen:{key}", now=now, window=window)
    return max(0, seen - checks)
