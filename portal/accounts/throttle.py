"""Abuse limits on the two ways in: password logins and personal API token creation.

**Logins** are counted by django-axes with its cache handler, in Django's default cache (Redis in production,
so every web process shares the counts). Two counters per attempt: one for the username (from any address)
and one for the client address (across usernames); `LOGIN_FAILURE_LIMIT` failures on either locks it for
`LOGIN_COOLOFF_SECONDS`, counted from the last failure (an attempt while locked is a failure too, so hammering
keeps the lock). A successful login clears both counters. While locked, every login that touches a locked
counter answers 429 with `Retry-After`, the correct password included, and the answer is the same whether
the account exists or not. The pieces axes lets a project plug in live here:

- `LoginThrottleBackend`: axes' backend, except that a call without a request (the test client's `login()`,
  code that checks a password) is not throttled: there is no client to count, and axes would raise.
- `LoginAttemptCacheHandler`: axes' cache handler, looking the cache up on every use instead of keeping the
  one it saw first (Django's cache objects are per thread, and tests swap the cache per test).
- `client_address`, `login_username`: what the two counters are keyed by (see their docstrings).
- `login_locked_response`: the 429 page, and the WARNING log line of the event.

**API tokens** (the "API tokens" page; the API has no endpoint that creates one) are limited per user and per
client address to a number per hour, in a fixed one-hour window in the same cache, checked before the service
runs so that a refused call creates nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

TOKEN_WINDOW_SECONDS = 3600


# --- Client address -----------------------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str | None:
    """The address a request is counted under.

    `REMOTE_ADDR` unless `TRUSTED_PROXY_COUNT` says how many reverse proxies append to `X-Forwarded-For` in
    front of us; then the entry that many places from the right, the one our outermost proxy saw (entries
    further left are whatever the client chose to send). A header with fewer entries than that did not come
    through the proxies and is ignored. IPv6 addresses count per /64: one end site usually holds a whole
    /64, so counting single addresses would let a client rotate through them.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    address = remote
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            address = hops[-proxies]
    return _bucket(address) or _bucket(remote) or remote


def _bucket(address: str | None) -> str | None:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# --- Logins (django-axes) -----------------------------------------------------------------------------------


def _submitted_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    field = get_user_model().USERNAME_FIELD
    if credentials:
        return credentials.get(field)
    if request is None:
        return None
    return getattr(request, "data", request.POST).get(field)


def login_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username a login attempt is counted under (`AXES_USERNAME_CALLABLE`).

    Axes keys the username counter and the address counter by the bare value, so a "username" such as
    `203.0.113.7` would count against that address: anyone could lock out an office's address from
    anywhere. Usernames that parse as an IP address therefore get a suffix (Django's username validator
    allows digits and dots, so such an account could exist; its counter still works, under that name).
    """
    username = _submitted_username(request, credentials)
    if username and _is_ip_address(username):
        return f"{username} (username)"
    return username


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses logins while the username or the address is locked; authenticates nobody itself.

    First in AUTHENTICATION_BACKENDS, so a locked login is refused before any password is checked.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LoginAttemptCacheHandler(AxesCacheHandler):
    """Axes' cache handler, reading `AXES_CACHE` (the default cache) on every use.

    The stock handler keeps the cache object it was built with, for the life of the process: the first
    thread's connection in every thread, and, in tests, whatever cache was configured before the suite
    swapped in a fresh one per test.
    """

    def __init__(self) -> None:  # no snapshot of the cache: see `cache`
        pass

    @property
    def cache(self):  # type: ignore[override]
        return get_cache()

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        # A request-less check (see LoginThrottleBackend) has no client to count; axes would log an error.
        if request is None:
            return
        super().user_login_failed(sender, credentials, request, **kwargs)


def login_cooloff(request: HttpRequest | None = None) -> timedelta:
    """`AXES_COOLOFF_TIME`: `LOGIN_COOLOFF_SECONDS`, read when used (axes would read hours, once)."""
    return timedelta(seconds=settings.LOGIN_COOLOFF_SECONDS)


def login_retry_after(request: HttpRequest | None = None) -> int:
    """Seconds until a lock ends. Exact: every refused attempt restarts the cool-off of its counters."""
    cool_off = get_cool_off(request)
    return max(1, int(cool_off.total_seconds())) if cool_off else 1


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def login_locked_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a login while locked (`AXES_LOCKOUT_CALLABLE`): the login page, 429, `Retry-After`.

    It names neither the username nor whether it exists, and keeps nothing the client typed but `next`, so
    a locked existing account and a locked unknown name answer the same. Logged as a WARNING (username and
    address; the password never leaves `credentials`).
    """
    retry_after = login_retry_after(request)
    logger.warning(
        "Login refused: too many failed attempts (username=%r, address=%s, retry_after=%ss)",
        _submitted_username(request, credentials),
        getattr(request, "axes_ip_address", None) or client_address(request),
        retry_after,
    )
    context = {
        "form": AuthenticationForm(request),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "locked_message": f"Too many sign-in attempts. Try again in about {_minutes(retry_after)}.",
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# --- API token creation -------------------------------------------------------------------------------------


class TokenCreateThrottled(Exception):
    """Too many tokens created in this hour by this user or from this address; nothing was created."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Too many API tokens created in the last hour. Try again in about {_minutes(retry_after)}."
        )


def _count(key: str) -> int:
    cache.add(key, 0, timeout=TOKEN_WINDOW_SECONDS + 60)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=TOKEN_WINDOW_SECONDS + 60)
        return 1


def token_create_allow(*, user_id: int, address: str | None) -> None:
    """Count one token creation for the user and the address; raise TokenCreateThrottled over a limit.

    Call it right before `api_token_create`. Refused calls count too (a client that keeps trying stays
    refused until the hour ends). `TOKEN_CREATE_PER_HOUR` (per user) and `TOKEN_CREATE_PER_HOUR_PER_ADDRESS`;
    0 switches a limit off.
    """
    now = int(time.time())
    window = now // TOKEN_WINDOW_SECONDS
    retry_after = (window + 1) * TOKEN_WINDOW_SECONDS - now
    limits = [("user", str(user_id), settings.TOKEN_CREATE_PER_HOUR)]
    if address:
        limits.append(("address", address, settings.TOKEN_CREATE_PER_HOUR_PER_ADDRESS))
    for scope, value, limit in limits:
        if limit > 0 and _count(f"agora:throttle:token:{scope}:{value}:{window}") > limit:
            logger.warning(
                "API token creation refused: over %s per hour per %s (user=%s, address=%s)",
                limit,
                scope,
                user_id,
                address,
            )
            raise TokenCreateThrottled(retry_after)
