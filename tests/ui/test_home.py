"""The tenant home: what is new for what I follow, open incidents and my requests (plugin home panels),
with a query count that does not grow with the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.releases import services as release_services
from portal.notifications.models import Subscription
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of, make_release
from tests.requests_app.factories import make_request

pytestmark = pytest.mark.django_db


def home(world) -> str:
    return f"/t/{world.tenant.slug}/"


def follow(world, user, capability) -> None:
    with tenant_context(world.tenant):
        Subscription.objects.create(user=user, topic_kind="capability", topic_id=capability.pk)


def test_home_shows_news_of_what_i_follow_open_incidents_and_my_requests(world_a, login):
    kafka = capability_of(world_a, name="Kafka Topics")
    dns = capability_of(world_a, name="Global DNS")
    make_release(world_a.tenant, kafka, version="3.1", title="Tiered storage", publish=True)
    make_release(world_a.tenant, dns, version="2.0", title="DNSSEC everywhere", publish=True)
    with tenant_context(world_a.tenant):
        release_services.status_update_post(capability=dns, status="partial_outage", message="Resolvers flap")
    make_request(world_a.tenant, world_a.member, title="Quota per namespace", capability=kafka)
    make_request(world_a.tenant, world_a.admin, title="Somebody else's idea")
    client = login(world_a.member)

    body = client.get(home(world_a)).content.decode()
    assert "You follow nothing yet" in body and "Tiered storage" in body and "DNSSEC everywhere" in body

    follow(world_a, world_a.member, kafka)
    body = client.get(home(world_a)).content.decode()
    news = body[body.index('id="home-news"') :]
    news = news[: news.index("</section>")]
    assert "Tiered storage" in news and "DNSSEC everywhere" not in news
    incidents = body[body.index('id="home-incidents"') :]
    assert "Global DNS: Resolvers flap" in incidents[: incidents.index("</section>")]
    mine = body[body.index('id="home-my-requests"') :]
    mine = mine[: mine.index("</section>")]
    assert "Quota per namespace" in mine and "Somebody else" not in mine
    assert 'class="card tile"' not in body  # no longer six bare tiles


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_home_query_count_is_constant(world_a, login):
    client = login(world_a.member)

    def grow(n: int) -> None:
        for i in range(n):
            cap = capability_of(world_a)
            follow(world_a, world_a.member, cap)
            make_release(world_a.tenant, cap, publish=True)
            with tenant_context(world_a.tenant):
                release_services.status_update_post(capability=cap, status="degraded", message=f"Slow {i}")
            make_request(world_a.tenant, world_a.member, title=f"My request number {i}", capability=cap)

    grow(2)
    client.get(home(world_a))
    small = _count(client, home(world_a))
    grow(10)
    large = _count(client, home(world_a))
    assert small == large, (small, large)
    assert large <= 25
