"""Which team channels and people a notification reaches: one rule (`fanout.following`) for both."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from portal.notifications import selectors, services
from portal.notifications.engine import fanout
from portal.notifications.models import Delivery, InboxItem
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.notifications.helpers import publish

pytestmark = pytest.mark.django_db


def test_routes_follow_topic_tenant_wide_and_category_flags(world_a, world_b):
    with tenant_context(world_a.tenant):
        make = services.endpoint_create
        releases = make(
            team=world_a.team,
            kind="teams",
            name="r",
            url="https://prod-00.westus.logic.azure.com/workflows/r",
        )[0]
        statuses = make(
            team=world_a.team,
            kind="teams",
            name="s",
            url="https://prod-00.westus.logic.azure.com/workflows/s",
        )[0]
        other = make(
            team=world_a.team,
            kind="teams",
            name="o",
            url="https://prod-00.westus.logic.azure.com/workflows/o",
        )[0]
        off = make(
            team=world_a.team,
            kind="teams",
            name="x",
            url="https://prod-00.westus.logic.azure.com/workflows/x",
        )[0]
        services.route_add(endpoint=releases, topic_kind="capability", topic_id=1, status=False)
        services.route_add(endpoint=statuses, topic_kind="tenant", topic_id=None, releases=False)
        services.route_add(endpoint=other, topic_kind="capability", topic_id=2)
        services.route_add(endpoint=off, topic_kind="capability", topic_id=1)
        off.enabled = False
        off.save()
    with tenant_context(world_b.tenant):
        foreign = services.endpoint_create(
            team=world_b.team,
            kind="teams",
            name="r",
            url="https://prod-00.westus.logic.azure.com/workflows/b",
        )[0]
        services.route_add(endpoint=foreign, topic_kind="tenant", topic_id=None)

    def reached(**kwargs) -> set[int]:
        notification = publish(world_a.tenant, **kwargs)
        with tenant_context(world_a.tenant):
            rows = fanout._endpoint_deliveries(notification, world_a.tenant.pk, timezone.now())
        return {d.endpoint_id for d in rows}

    assert reached(category="release") == {releases.pk}
    assert reached(category="status") == {statuses.pk}
    assert reached(category="status", topic_kind="tenant", topic_id=None) == {statuses.pk}
    assert reached(category="request", topic_kind="request", topic_id=1) == set()
    assert reached(category="release", recipient_user_ids=[world_a.member.pk]) == set()


def test_htmx_mark_read_answers_the_item_and_refreshes_the_bell(
    world_a, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(world_a.tenant, recipient_user_ids=[world_a.member.pk], title="Kafka 3.7")
    with tenant_context(world_a.tenant):
        item = InboxItem.objects.get()
    client: Client = login(world_a.member)
    url = f"/t/{world_a.tenant.slug}/notifications/inbox/{item.pk}/read/"
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Trigger"] == "inbox-changed"
    html = response.content.decode()
    assert "Kafka 3.7" in html and "Mark read" not in html
    with tenant_context(world_a.tenant):
        item.refresh_from_db()
    assert item.read_at is not None


def test_endpoint_counts_failed_deliveries_and_routes_without_multiplying(world_a):
    with tenant_context(world_a.tenant):
        endpoint = services.endpoint_create(
            team=world_a.team,
            kind="teams",
            name="r",
            url="https://prod-00.westus.logic.azure.com/workflows/r",
        )[0]
        services.route_add(endpoint=endpoint, topic_kind="capability", topic_id=1)
        services.route_add(endpoint=endpoint, topic_kind="capability", topic_id=2)
    now = timezone.now()
    for state in ["failed", "failed", "failed", "sent", "pending"]:
        notification = publish(world_a.tenant, recipient_user_ids=[])
        with tenant_context(world_a.tenant):
            Delivery.objects.create(
                notification=notification, channel="teams", endpoint=endpoint, state=state,
                next_attempt_at=now,
            )  # fmt: skip
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user=world_a.admin)
        [row] = selectors.endpoints_for(membership)
    assert (row.failed_count, row.route_count) == (3, 2)
    body = Client(headers={"Authorization": f"Bearer {world_a.tokens['admin']}"}).get(
        "/api/v1/channel-endpoints/"
    )
    assert [e["failed_deliveries"] for e in body.json()["results"]] == [3]
