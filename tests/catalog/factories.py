"""Catalog test data, created through the services (so search documents and events are real)."""

from __future__ import annotations

from itertools import count

from catalog import services
from portal.tenancy.context import tenant_context

_seq = count(1)


def make_capability(tenant, team, **data):
    n = next(_seq)
    data.setdefault("name", f"Capability {n}")
    data.setdefault("summary", f"Summary {n}")
    with tenant_context(tenant):
        return services.capability_create(owner_team=team, **data)


def make_many(tenant, team, n: int, *, links: int = 2, tags: int = 2) -> None:
    for _ in range(n):
        i = next(_seq)
        make_capability(
            tenant,
            team,
            name=f"Bulk capability {i:05d}",
            tags=[f"tag-{(i + k) % 7}" for k in range(tags)],
            links=[("docs", f"Doc {k}", f"https://docs.example.com/{i}/{k}") for k in range(links)],
        )
