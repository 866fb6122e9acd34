"""API token creation on the "API tokens" page: limited per user and per address; a refused call creates
nothing.

There is no API endpoint that creates tokens (only the page and the `create_api_token` command).
"""

from __future__ import annotations

import logging

from django.test import Client

from portal.accounts.models import ApiToken
from portal.tenancy.context import tenant_context

PAGE = "/t/alpha/tokens/"


def token_count(world, user) -> int:
    with tenant_context(world.tenant):
        return ApiToken.objects.filter(membership__user=user).count()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client, name: str, address: str = "192.0.2.10"):
    return client.post(PAGE, {"name": name}, REMOTE_ADDR=address)


def test_over_the_hourly_limit_the_page_answers_429_and_creates_nothing(world_a, settings, caplog):
    settings.TOKEN_CREATE_PER_HOUR = 3
    client = client_for(world_a.member)
    before = token_count(world_a, world_a.member)
    assert [create(client, f"t{n}").status_code for n in range(3)] == [200, 200, 200]

    with caplog.at_level(logging.WARNING, logger="portal.accounts.throttle"):
        refused = create(client, "one-too-many")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "Too many API tokens created in the last hour. Try again in about" in refused.text
    assert refused.context["issued"] is None
    assert token_count(world_a, world_a.member) == before + 3
    assert any("API token creation refused" in r.getMessage() for r in caplog.records)


def test_the_limit_is_per_user(world_a, settings):
    settings.TOKEN_CREATE_PER_HOUR = 2
    member, admin = client_for(world_a.member), client_for(world_a.admin)
    for n in range(2):
        create(member, f"m{n}")
    assert create(member, "m-refused").status_code == 429

    assert create(admin, "a0").status_code == 200


def test_one_address_is_limited_across_users(world_a, settings):
    settings.TOKEN_CREATE_PER_HOUR = 100
    settings.TOKEN_CREATE_PER_HOUR_PER_ADDRESS = 2
    member, admin = client_for(world_a.member), client_for(world_a.admin)
    assert create(member, "m0", address="198.51.100.5").status_code == 200
    assert create(admin, "a0", address="198.51.100.5").status_code == 200

    before = token_count(world_a, world_a.admin)
    assert create(admin, "a1", address="198.51.100.5").status_code == 429
    assert token_count(world_a, world_a.admin) == before
    assert create(admin, "a1", address="198.51.100.6").status_code == 200


def test_zero_switches_the_limits_off(world_a, settings):
    settings.TOKEN_CREATE_PER_HOUR = 0
    settings.TOKEN_CREATE_PER_HOUR_PER_ADDRESS = 0
    client = client_for(world_a.member)
    assert {create(client, f"t{n}").status_code for n in range(12)} == {200}
