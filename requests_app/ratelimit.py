"""Abuse limits: how many requests, comments and votes one person may make per hour.

A fixed one-hour window counted in Django's cache (Redis in production, so every web process shares the
counts; the local-memory cache in the demo). Checked by pages and API before the service runs, so a refused
call writes nothing; `RateLimited` carries the seconds until the window ends for the `Retry-After` header.
Limits come from the plugin's settings (`AGORA_PLUGINS_CONFIG["requests_app"]`): `requests_per_hour`,
`comments_per_hour`, `votes_per_hour`; 0 switches a limit off.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from portal.plugins.api import plugins

WINDOW_SECONDS = 3600
ACTIONS = {"request": "requests_per_hour", "comment": "comments_per_hour", "vote": "votes_per_hour"}
NOUNS = {"request": "new requests", "comment": "comments", "vote": "votes"}


class RateLimited(Exception):
    def __init__(self, action: str, limit: int, retry_after: int) -> None:
        self.action, self.limit, self.retry_after = action, limit, retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            f"You reached the limit of {limit} {NOUNS[action]} per hour. Try again in about {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        )


def limit_for(action: str) -> int:
    return int(plugins()["requests_app"].settings.get(ACTIONS[action]) or 0)


def consume(action: str, *, tenant_id: int, user_id: int) -> None:
    """Count one `action` for the user; raise RateLimited when over the limit."""
    limit = limit_for(action)
    if limit <= 0:
        return
    now = int(time.time())
    window = now // WINDOW_SECONDS
    key = f"agora:rl:{action}:{tenant_id}:{user_id}:{window}"
    retry_after = (window + 1) * WINDOW_SECONDS - now
    cache.add(key, 0, timeout=WINDOW_SECONDS + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 60)
        count = 1
    if count > limit:
        raise RateLimited(action, limit, retry_after)
