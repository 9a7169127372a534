"""How many password-reset mails one account and one client address may ask for per hour.

The reset form answers the same whatever happens (it must not tell whether an email is
known), so a request over the limit gets the usual "sent" page and no mail. The counters
live in the cache: when the cache is down the limit is not applied, because a buyer who
cannot log in must still be able to reset the password.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 3600


def _counted(key: str) -> int | None:
    """Count one more request under `key` in the current hour; None when the cache does not answer."""
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr, or the cache ignored the add (it is down)
        return None


def password_reset_allowed(*, email: str, address: str | None, now: float | None = None) -> bool:
    """Count this reset request; False when the account or the address is over its hourly limit."""
    window = int((now if now is not None else time.time()) // WINDOW_SECONDS)
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    counts = [
        (_counted(f"password-reset:account:{account}:{window}"), settings.PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR),
        (_counted(f"password-reset:address:{address or 'unknown'}:{window}"), settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR),
    ]
    return all(count is None or count <= limit for count, limit in counts)
