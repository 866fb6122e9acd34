"""Login throttling: by username from any address, by address across usernames, 429 + Retry-After, no oracle.

Every test gets a fresh local-memory cache (tests/conftest.py `_fresh_cache`), so counts start at zero.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings

from tests.factories import PASSWORD, make_user

LOGIN = "/accounts/login/"
pytestmark = pytest.mark.django_db


def attempt(client, username: str, password: str = "wrong-password", address: str = "192.0.2.10", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def fail(client, username: str, times: int, address: str = "192.0.2.10", **extra) -> list[int]:
    return [attempt(client, username, address=address, **extra).status_code for _ in range(times)]


def limit() -> int:
    return settings.AXES_FAILURE_LIMIT


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def without_per_request_values(html: str) -> str:
    """The page minus what differs on every request anyway (CSRF tokens, CSP nonces)."""
    html = re.sub(r'value="[A-Za-z0-9]{64}"', 'value=""', html)
    html = re.sub(r'"X-CSRFToken": "[A-Za-z0-9]{64}"', '"X-CSRFToken": ""', html)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


def test_25_wrong_passwords_then_the_right_one_is_refused_with_429_and_retry_after(client):
    user = make_user("carol")
    codes = fail(client, user.username, 25)
    assert codes[: limit() - 1] == [200] * (limit() - 1)
    assert set(codes[limit() - 1 :]) == {429}

    right = attempt(client, user.username, PASSWORD)

    assert right.status_code == 429
    assert right["Retry-After"] == str(settings.LOGIN_COOLOFF_SECONDS)
    assert "Too many sign-in attempts. Try again in about 15 minutes." in right.text
    assert 'action="/accounts/login/"' in right.text  # the site's login page, not a bare error
    assert not logged_in(client)


def test_a_locked_unknown_username_answers_exactly_like_a_locked_existing_one(client):
    user = make_user("carol")
    fail(client, user.username, limit(), address="192.0.2.1")
    fail(client, "nobody-by-this-name", limit(), address="192.0.2.2")

    known = attempt(client, user.username, PASSWORD, address="192.0.2.1")
    unknown = attempt(client, "nobody-by-this-name", PASSWORD, address="192.0.2.2")

    assert known.status_code == unknown.status_code == 429
    assert known["Retry-After"] == unknown["Retry-After"]
    assert without_per_request_values(known.text) == without_per_request_values(unknown.text)
    assert user.username not in known.text


def test_one_address_is_locked_across_usernames(client):
    victim = make_user("carol")
    for n in range(limit()):
        attempt(client, f"guess-{n}", address="198.51.100.7")

    assert attempt(client, victim.username, PASSWORD, address="198.51.100.7").status_code == 429
    assert attempt(client, victim.username, PASSWORD, address="198.51.100.8").status_code == 302


def test_one_username_is_locked_across_addresses(client):
    victim, other = make_user("carol"), make_user("dave")
    for n in range(limit()):
        attempt(client, victim.username, address=f"203.0.113.{n + 1}")

    assert attempt(client, victim.username, PASSWORD, address="203.0.113.200").status_code == 429
    assert attempt(client, other.username, PASSWORD, address="203.0.113.201").status_code == 302


def test_a_success_before_the_limit_resets_the_count(client):
    user = make_user("carol")
    for _ in range(2):
        assert fail(client, user.username, limit() - 1) == [200] * (limit() - 1)
        assert attempt(client, user.username, PASSWORD).status_code == 302
        client.logout()

    assert fail(client, user.username, limit())[-1] == 429


def test_the_lockout_is_logged_with_username_and_address_never_the_password(client, caplog):
    user = make_user("carol")
    fail(client, user.username, limit() - 1, address="192.0.2.99")
    with caplog.at_level(logging.WARNING, logger="portal.accounts.throttle"):
        attempt(client, user.username, "s3cret-guess", address="192.0.2.99")

    records = [r for r in caplog.records if r.name == "portal.accounts.throttle"]
    assert records and all(r.levelno == logging.WARNING for r in records)
    message = records[0].getMessage()
    assert "'carol'" in message and "192.0.2.99" in message
    assert all("s3cret-guess" not in r.getMessage() for r in caplog.records)


def test_forwarded_for_is_ignored_by_default(client):
    """A client cannot escape the address counter by inventing X-Forwarded-For values."""
    user = make_user("carol")
    for n in range(limit()):
        attempt(client, f"guess-{n}", address="10.1.1.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")

    assert attempt(client, user.username, PASSWORD, address="10.1.1.1").status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_right_most_forwarded_entry(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_user("carol")
    proxy = {"address": "10.1.1.1"}
    for n in range(limit()):
        attempt(client, f"guess-{n}", **proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.66")

    # Locked: that client, whatever it puts to the left; not locked: another client through the same proxy.
    locked = attempt(client, user.username, PASSWORD, **proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.66")
    assert locked.status_code == 429
    other = attempt(client, user.username, PASSWORD, **proxy, HTTP_X_FORWARDED_FOR="198.51.100.67")
    assert other.status_code == 302


def test_a_username_that_looks_like_an_address_does_not_lock_that_address(client):
    user = make_user("carol")
    for n in range(limit()):
        attempt(client, "192.0.2.50", address=f"203.0.113.{n + 1}")

    assert attempt(client, user.username, PASSWORD, address="192.0.2.50").status_code == 302
    assert attempt(client, "192.0.2.50", address="203.0.113.250").status_code == 429
