"""List and detail pages and the API list run the same number of queries at 10 and 200 capabilities."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.models import Capability
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability, make_many

pytestmark = pytest.mark.django_db
CAP = 25  # absolute ceiling, so a constant-but-silly count fails too


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


URLS = [
    "/t/alpha/catalog/", "/t/alpha/catalog/?q=bulk", "/t/alpha/catalog/?tag=tag-1", "/t/alpha/catalog/mine/",
    "/t/alpha/catalog/hub/", "/api/v1/capabilities/", "/api/v1/capabilities/?search=bulk",
]  # fmt: skip


def test_query_count_does_not_grow_with_the_catalog(world_a, login):
    hub = make_capability(world_a.tenant, world_a.team, name="Hub", tags=["core"])
    make_many(world_a.tenant, world_a.team, 10)
    browser = login(world_a.member)
    api = Client(headers={"Authorization": f"Bearer {world_a.tokens['member']}"})
    clients = {url: browser if url.startswith("/t/") else api for url in URLS}
    for url in URLS:
        count_queries(clients[url], url)  # warm-up: the first API call also records the token's last use
    small = {url: count_queries(clients[url], url) for url in URLS}
    make_many(world_a.tenant, world_a.team, 190, links=3, tags=3)
    with tenant_context(world_a.tenant):
        others = list(Capability.objects.exclude(pk=hub.pk)[:90])
        services.capability_update(capability=hub, dependencies=others[:60])
        for other in others[60:]:
            services.capability_update(capability=other, dependencies=[hub])
    large = {url: count_queries(clients[url], url) for url in URLS}
    assert small == large, "query counts grew with the data"
    assert max(large.values()) <= CAP, large


@pytest.mark.postgres
def test_app_connections_never_jit_compile_list_queries():
    """A catalog list under row-level security passes PostgreSQL's jit_above_cost at a few thousand rows;
    compiling then cost 150 ms per request for a 20 ms query (bench/catalog.py). The app turns JIT off."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
