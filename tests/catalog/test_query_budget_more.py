"""More constant query counts: API detail, the edit form, admins' lists, htmx fragments and later pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.models import Capability
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability, make_many
from tests.factories import make_team

pytestmark = pytest.mark.django_db
CAP = 25
HTMX = {"HX-Request": "true", "HX-Target": "capability-results"}


def count(client: Client, url: str, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def measure(world, login) -> dict[str, int]:
    api = Client(headers={"Authorization": f"Bearer {world.tokens['admin']}"})
    admin = Client()
    admin.force_login(world.admin)
    maintainer = login(world.maintainer)
    probes = {
        "api detail": lambda: count(api, "/api/v1/capabilities/hub/"),
        "api list as admin": lambda: count(api, "/api/v1/capabilities/?tag=tag-1&ordering=-updated"),
        "list as admin": lambda: count(admin, "/t/alpha/catalog/?sort=-updated"),
        "edit form": lambda: count(maintainer, "/t/alpha/catalog/hub/edit/"),
        "htmx fragment": lambda: count(maintainer, "/t/alpha/catalog/?q=bulk", headers=HTMX),
        "last page": lambda: count(maintainer, "/t/alpha/catalog/?page=999"),
        "restricted detail": lambda: count(maintainer, "/t/alpha/catalog/early-hub/"),
    }
    for probe in probes.values():
        probe()  # warm-up (token last-use bookkeeping, session)
    return {name: probe() for name, probe in probes.items()}


def test_more_pages_keep_a_constant_query_count(world_a, login):
    early = make_team(world_a.tenant, "early", members=[world_a.maintainer])
    hub = make_capability(world_a.tenant, world_a.team, name="Hub", tags=["core"])
    make_capability(
        world_a.tenant, world_a.team, name="Early Hub", visibility="teams", visible_to_teams=[early]
    )
    make_many(world_a.tenant, world_a.team, 10)
    small = measure(world_a, login)
    make_many(world_a.tenant, world_a.team, 190, links=3, tags=3)
    with tenant_context(world_a.tenant):
        others = list(Capability.objects.filter(name__startswith="Bulk")[:80])
        services.capability_update(
            capability=hub, dependencies=others[:50], tags=[f"t{i}" for i in range(15)]
        )
        early_hub = Capability.objects.get(slug="early-hub")
        services.capability_update(capability=early_hub, dependencies=others[50:])
    large = measure(world_a, login)
    assert small == large, "query counts grew with the data"
    assert max(large.values()) <= CAP, large
