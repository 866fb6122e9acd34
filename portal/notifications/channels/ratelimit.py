"""A token bucket in Redis, shared by every worker: at most N messages per second per webhook.

Slack allows about one message per second per incoming webhook and answers 429 beyond that. The bucket is
one Lua script (atomic, uses the Redis server clock so worker clocks do not matter). Without Redis (eager
mode, the demo) or when Redis errors, limiting is skipped: a 429 is still honoured by the retry logic.
"""

from __future__ import annotations

import logging
import time
from functools import cache

from django.conf import settings

logger = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV[1] tokens per second; ARGV[2] capacity. Returns milliseconds to wait (0: go).
BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or cap
local ts = tonumber(b[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap * 1000 / rate) + 1000)
return wait
"""


@cache
def _script(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client.register_script(BUCKET_LUA)


def enabled() -> bool:
    return bool(getattr(settings, "REDIS_URL", "")) and not getattr(
        settings, "CELERY_TASK_ALWAYS_EAGER", False
    )


def take(key: str, *, per_second: float, capacity: float = 1.0, url: str | None = None) -> float:
    """Take one token from bucket `key`; return seconds to wait first (0.0 when allowed now)."""
    url = url or getattr(settings, "REDIS_URL", "")
    if not url or per_second <= 0:
        return 0.0
    try:
        waited_ms = _script(url)(keys=[f"agora:ratelimit:{key}"], args=[per_second, capacity])
    except Exception:
        logger.warning("rate limiter unavailable; sending without it", exc_info=True)
        return 0.0
    return int(waited_ms) / 1000.0


def acquire(key: str, *, per_second: float, max_wait: float = 2.0) -> float:
    """Block until a token is ours, for at most `max_wait` seconds. Returns 0.0 on success, otherwise the
    wait still needed (the caller defers the delivery instead of holding a worker)."""
    if not enabled():
        return 0.0
    deadline = time.monotonic() + max_wait
    while True:
        wait = take(key, per_second=per_second)
        if wait <= 0:
            return 0.0
        if time.monotonic() + wait > deadline:
            return wait
        time.sleep(wait)
