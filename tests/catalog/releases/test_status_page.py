"""The tenant status page as Statuspage users expect it: an overall banner, every capability with its current
state and 90 day cells (worst state per day, text alternatives, a legend), incident titles with the newest
update first, subscribe options, and a query count that does not grow with capabilities or updates."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import services as catalog_services
from catalog.releases import selectors, services
from catalog.releases.models import StatusUpdate
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of

pytestmark = pytest.mark.django_db


def status_url(world) -> str:
    return f"/t/{world.tenant.slug}/catalog/status/"


def backdate(world, update: StatusUpdate, days: int) -> None:
    with tenant_context(world.tenant):
        when = timezone.now() - timedelta(days=days)
        StatusUpdate.objects.filter(pk=update.pk).update(created_at=when)
        if update.resolved_at:
            StatusUpdate.objects.filter(pk=update.pk).update(resolved_at=when)


def row_of(body: str, name: str) -> list[str]:
    """The day cells' hidden texts of one capability's row ("2025-01-02: Degraded", ...)."""
    row = body[body.index(f'aria-label="{name}, day by day"') :]
    row = row[: row.index("</ol>")]
    return re.findall(r'<span class="visually-hidden">([^<]+)</span>', row)


def test_all_operational_banner_every_capability_and_ninety_day_cells(world_a, client):
    capability_of(world_a, name="Kafka Topics")
    capability_of(world_a, name="Global DNS")
    client.force_login(world_a.viewer)
    body = client.get(status_url(world_a)).content.decode()
    assert "All systems operational" in body
    for name in ("Kafka Topics", "Global DNS"):
        cells = row_of(body, name)
        assert len(cells) == 90
        # created today: the 89 days before say so instead of pretending to be green
        assert cells[-1].endswith(": Operational") and cells[0].endswith(": No data")
    legend = body[body.index('aria-label="Legend"') :]
    for label in ("Operational", "Maintenance", "Degraded", "Partial outage", "Major outage", "No data"):
        assert label in legend[:1200]


def test_banner_names_the_worst_current_state_and_cells_keep_the_worst_of_each_day(world_a, client):
    kafka = capability_of(world_a, name="Kafka Topics")
    dns = capability_of(world_a, name="Global DNS")
    with tenant_context(world_a.tenant):
        type(kafka).objects.filter(pk__in=[kafka.pk, dns.pk]).update(
            created_at=timezone.now() - timedelta(days=200)
        )
        root = services.status_update_post(capability=dns, status="major_outage", message="Resolvers down")
        worse = services.status_update_post(capability=dns, status="degraded", message="Recovering")
        fixed = services.status_update_post(capability=dns, resolved=True, message="All good")
        services.status_update_post(
            capability=kafka, status="degraded", message="Slow **producers**\nMore text"
        )
    backdate(world_a, root, 3)
    backdate(world_a, worse, 3)
    backdate(world_a, fixed, 2)
    client.force_login(world_a.member)
    body = client.get(status_url(world_a)).content.decode()
    assert "All systems operational" not in body
    banner = body[body.index('class="card status-banner') :][:600]
    assert "Degraded" in banner and "1 of 2 capabilities not operational" in banner
    today = timezone.localdate()
    dns_cells = dict(c.split(": ") for c in row_of(body, "Global DNS"))
    assert dns_cells[str(today - timedelta(days=3))] == "Major outage"  # worst of the day, not the last
    assert dns_cells[str(today - timedelta(days=2))] == "Degraded"  # began degraded, resolved that day
    assert dns_cells[str(today - timedelta(days=1))] == "Operational"
    assert dns_cells[str(today - timedelta(days=4))] == "Operational"
    assert row_of(body, "Kafka Topics")[-1].endswith(": Degraded")
    # incident titles: the first line of the opening message, without Markdown marks
    assert "Slow producers" in body and "Resolvers down" in body


def test_history_starts_from_the_state_before_the_window(world_a):
    """An incident opened before the 90 days and still open colours every day of the window."""
    cap = capability_of(world_a, name="Legacy Queue")
    with tenant_context(world_a.tenant):
        type(cap).objects.filter(pk=cap.pk).update(created_at=timezone.now() - timedelta(days=400))
        root = services.status_update_post(capability=cap, status="partial_outage", message="Half the nodes")
    backdate(world_a, root, 120)
    with tenant_context(world_a.tenant):
        from portal.tenancy.models import Membership

        board = selectors.status_page(Membership.objects.get(user=world_a.member))
    (row,) = board.capabilities
    assert {d.state for d in row.days} == {"partial_outage"}
    assert row.uptime_percent == 0.0 and row.days_impacted == 90


def test_day_states_rules_without_a_database():
    today = date(2025, 3, 10)
    days = selectors.day_states(
        start=today - timedelta(days=2), today=today, created=today - timedelta(days=1),
        initial="operational", current="maintenance", updates=[],
    )  # fmt: skip
    assert [d.state for d in days] == ["no_data", "operational", "maintenance"]  # today includes current
    assert days[0].label == "No data"


def test_incident_updates_are_listed_newest_first(world_a, client):
    cap = capability_of(world_a, name="Kafka Topics")
    with tenant_context(world_a.tenant):
        root = services.status_update_post(capability=cap, status="major_outage", message="First we saw it")
        later = services.status_update_post(capability=cap, status="degraded", message="Then it got better")
    backdate(world_a, root, 0)
    with tenant_context(world_a.tenant):
        StatusUpdate.objects.filter(pk=root.pk).update(created_at=timezone.now() - timedelta(hours=2))
    client.force_login(world_a.member)
    body = client.get(status_url(world_a)).content.decode()
    incident = body[body.index('id="h-open"') :]
    assert "First we saw it" in incident[: incident.index('<ol class="timeline"')]  # the title
    incident = incident[incident.index('<ol class="timeline"') :]
    assert incident.index("Then it got better") < incident.index("First we saw it")
    assert later.pk


def test_subscribe_offers_following_the_tenant_chat_routes_and_the_feed(world_a, client):
    client.force_login(world_a.member)
    body = client.get(status_url(world_a)).content.decode()
    subscribe = body[body.index('id="subscribe"') :]
    assert 'name="topic_kind" value="tenant"' in subscribe and "Follow" in subscribe
    assert f"/t/{world_a.tenant.slug}/catalog/feeds/" in subscribe
    assert f"/t/{world_a.tenant.slug}/notifications/endpoints/" in subscribe


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_constant_as_capabilities_and_updates_grow(world_a, client):
    client.force_login(world_a.member)

    def grow(n: int) -> None:
        for i in range(n):
            cap = capability_of(world_a)
            with tenant_context(world_a.tenant):
                services.status_update_post(capability=cap, status="degraded", message=f"Incident {i}")
                services.status_update_post(capability=cap, status="major_outage", message="Worse")
                fixed = services.status_update_post(capability=cap, resolved=True, message="Fixed")
            backdate(world_a, fixed, i % 30)
            with tenant_context(world_a.tenant):
                catalog_services.capability_set_status(capability=cap, status="maintenance", message="")

    grow(2)
    client.get(status_url(world_a))  # the first request of a session writes it; count a steady one
    small = _count(client, status_url(world_a))
    grow(12)
    large = _count(client, status_url(world_a))
    assert small == large, (small, large)
    assert large <= 25
