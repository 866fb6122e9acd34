"""Changelogs, status pages, feeds and the API lists run the same number of queries at 10 and 200 releases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.releases import services
from catalog.releases.models import Release, StatusUpdate
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of, make_release
from tests.catalog.releases.test_feeds import token_for

pytestmark = pytest.mark.django_db
CAP = 30  # absolute ceiling, so a constant-but-silly count fails too


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def grow(world, caps, n: int) -> None:
    """n more published releases (spread over capabilities and kinds) and incidents with follow-ups."""
    now = timezone.now()
    start = Release.objects.count()
    kinds = ["feature", "fix", "security", "deprecation"]
    Release.objects.bulk_create(
        [
            Release(
                tenant_id=world.tenant.pk, capability=caps[i % len(caps)], version=f"9.{start + i}",
                version_key=f"9.{start + i}", title=f"Bulk release {start + i}", notes="Some **notes**.",
                kind=kinds[i % len(kinds)], state="published", published_at=now - timedelta(minutes=i),
                ships_request_numbers=[i + 1],
            )
            for i in range(n)
        ]
    )  # fmt: skip
    for i in range(n // 10):
        root = StatusUpdate.objects.create(
            capability=caps[i % len(caps)], status="degraded", message=f"Incident {i}",
            resolved_at=now - timedelta(hours=i),
        )  # fmt: skip
        StatusUpdate.objects.bulk_create(
            [
                StatusUpdate(tenant_id=world.tenant.pk, capability=root.capability, status="degraded",
                             message="Follow-up", incident=root)
                for _ in range(3)
            ]
        )  # fmt: skip


def test_query_counts_do_not_grow_with_history(world_a):
    caps = [capability_of(world_a, name=f"Cap {i}", slug=f"cap-{i}") for i in range(3)]
    make_release(world_a.tenant, caps[0], title="A draft")
    with tenant_context(world_a.tenant):
        services.status_update_post(capability=caps[0], status="degraded", message="Open incident")
        services.status_update_post(capability=caps[0], status="degraded", message="Follow-up")
        grow(world_a, caps, 10)
    token = token_for(world_a, world_a.member)
    t = f"/t/{world_a.tenant.slug}/catalog"
    urls = [
        f"{t}/changelog/", f"{t}/changelog/?kind=fix&kind=security", f"{t}/changelog/?page=2",
        f"{t}/cap-0/changelog/", f"{t}/status/", f"{t}/cap-0/status/", f"{t}/cap-0/",
        f"/pub/catalog/feeds/{token}/", f"/pub/catalog/feeds/{token}/cap-0/",
        "/api/v1/releases/", "/api/v1/releases/?kind=fix", "/api/v1/status-updates/",
    ]  # fmt: skip
    browser = Client()
    browser.force_login(world_a.maintainer)
    api = Client(headers={"Authorization": f"Bearer {world_a.tokens['maintainer']}"})
    clients = {u: api if u.startswith("/api/") else browser for u in urls}
    small_urls = [u for u in urls if "page=2" not in u]
    for u in small_urls:
        count_queries(clients[u], u)  # warm-up (token last-use, session)
    small = {u: count_queries(clients[u], u) for u in small_urls}
    with tenant_context(world_a.tenant):
        grow(world_a, caps, 190)
    large = {u: count_queries(clients[u], u) for u in small_urls}
    assert small == large, "query counts grew with the history"
    assert count_queries(browser, f"{t}/changelog/?page=2") == large[f"{t}/changelog/"]
    assert max(large.values()) <= CAP, large
