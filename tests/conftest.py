"""Shared fixtures and the tier rules of the suite.

Tiers: unit (always), postgres (row-level security; needs PostgreSQL), redis (a real Celery worker on
Redis), e2e (headless Chromium). A tier whose service is missing is skipped with the reason, unless
REQUIRE_SERVICES=1, where it fails instead: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import PASSWORD, make_world

REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"
TIERS = ("postgres", "redis", "e2e")


def _redis_up() -> bool:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return False
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _missing(tier: str) -> str | None:
    if tier == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://... or start PostgreSQL on 127.0.0.1:5432"
    if tier == "redis" and (connection.vendor != "postgresql" or not _redis_up()):
        return "needs Redis and PostgreSQL for a real Celery worker: set REDIS_URL and DATABASE_URL"
    if tier == "e2e" and not os.path.exists(os.environ.get("CHROMIUM_PATH") or "/nonexistent"):
        return "needs Chromium: apt-get install chromium (or set CHROMIUM_PATH)"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = str(item.fspath)
        if f"{os.sep}e2e{os.sep}" in path:
            item.add_marker(pytest.mark.e2e)
        elif f"{os.sep}integration{os.sep}" in path:
            item.add_marker(pytest.mark.redis)
    # Browser tests last: Playwright keeps an event loop running in the main thread until the session ends.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def pytest_runtest_setup(item):
    for tier in TIERS:
        if item.get_closest_marker(tier) is None:
            continue
        reason = _missing(tier)
        if reason is None:
            continue
        if REQUIRE:
            pytest.fail(f"REQUIRE_SERVICES=1: {reason}", pytrace=False)
        pytest.skip(reason)


def _tier_of(item) -> str:
    for tier in TIERS:
        if item.get_closest_marker(tier) is not None:
            return tier
    return "unit"


_tier_counts: Counter = Counter()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _tier_counts[(_tier_of(item), report.outcome)] += 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("tests per tier")
    for tier in ("unit", *TIERS):
        counts = {o: _tier_counts[(tier, o)] for o in ("passed", "failed", "skipped")}
        terminalreporter.write_line(
            f"{tier:9s} {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        )


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Demo and factory users log in a lot; the production hasher would dominate the suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """A private in-memory cache per test: abuse-limit counters must not leak from one test to the next
    (nor into the Redis that integration tests share with their workers)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def world_a(db):
    return make_world("alpha")


@pytest.fixture
def world_b(db):
    return make_world("beta")


@pytest.fixture
def login(client):
    def _login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login
