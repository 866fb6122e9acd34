"""Release test data, created through the services (events, versions and state rules are real)."""

from __future__ import annotations

from itertools import count
from typing import Any

from catalog.releases import services
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability

_seq = count(1)


def make_release(tenant, capability, *, publish: bool = False, **data: Any):
    n = next(_seq)
    data.setdefault("version", f"1.{n}.0")
    data.setdefault("title", f"Release {n}")
    data.setdefault("notes", f"Notes of release {n}.")
    with tenant_context(tenant):
        release = services.release_create(capability=capability, **data)
        if publish:
            services.release_publish(release=release)
    return release


def make_many_releases(tenant, capability, n: int, *, kinds=("feature", "fix", "security")) -> None:
    for i in range(n):
        kind = kinds[i % len(kinds)]
        make_release(tenant, capability, publish=True, kind=kind, ships_request_numbers=[i + 1])


def capability_of(world, **data: Any):
    return make_capability(world.tenant, world.team, **data)


def requests_up_to(world, number: int) -> None:
    """Feature requests #1..#number exist in `world`'s tenant, of no capability: any release may ship them
    (the release services refuse request numbers that do not exist)."""
    from requests_app.models import FeatureRequest
    from tests.requests_app.factories import make_request

    with tenant_context(world.tenant):
        have = FeatureRequest.objects.count()
    for _ in range(number - have):
        make_request(world.tenant, world.member)
