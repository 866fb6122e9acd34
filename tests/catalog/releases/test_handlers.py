"""Event handlers: a published release or a status update becomes exactly one notification, routed to the
capability's subscribers, and never to people who cannot see a team-restricted capability."""

from __future__ import annotations

import pytest

from catalog import services as catalog_services
from catalog.releases import services
from portal.events.models import Event
from portal.events.services import event_dispatch
from portal.notifications.models import Delivery, Notification
from portal.notifications.services import subscription_follow
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Role
from tests.catalog.releases.factories import capability_of, make_release, requests_up_to
from tests.factories import add_member, make_team, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(world_a):
    return capability_of(world_a, name="Kafka Topics", slug="kafka")


def dispatch_all(world, name: str) -> list[Notification]:
    with tenant_context(world.tenant):
        for event in Event.objects.filter(name=name):
            event_dispatch(event.pk)
        return list(Notification.objects.order_by("pk"))


def test_a_published_release_notifies_capability_subscribers_once(world_a, cap):
    requests_up_to(world_a, 12)
    release = make_release(
        world_a.tenant, cap, version="2.0", title="Names change", kind="breaking",
        notes="New **naming** rules.", upgrade_notes="Rename topics.", ships_request_numbers=[12],
        publish=True,
    )  # fmt: skip
    (notification,) = dispatch_all(world_a, "catalog.release_published")
    with tenant_context(world_a.tenant):
        event = Event.objects.get(name="catalog.release_published")
    assert notification.key == f"event:{event.pk}"
    assert (notification.topic_kind, notification.topic_id, notification.category) == (
        "capability",
        cap.pk,
        "release",
    )
    assert notification.title == "Kafka Topics 2.0: Names change"
    assert notification.url == f"/t/{world_a.tenant.slug}/catalog/releases/{release.pk}/"
    assert (
        "New **naming** rules." in notification.body_markdown
        and "Rename topics." in notification.body_markdown
    )
    assert "Breaking change" in notification.body_markdown and "#12" in notification.body_markdown
    assert notification.recipient_user_ids is None  # the topic's subscribers
    # A second dispatch (retried task, sweep) changes nothing.
    with tenant_context(world_a.tenant):
        Event.objects.update(dispatched_at=None)
    assert len(dispatch_all(world_a, "catalog.release_published")) == 1


def test_status_updates_notify_with_the_status_in_the_title(world_a, cap):
    with tenant_context(world_a.tenant):
        services.status_update_post(
            capability=cap, status="partial_outage", message="Half the brokers are down"
        )
        services.status_update_post(capability=cap, resolved=True, message="Back")
    first, second = dispatch_all(world_a, "catalog.status_update_posted")
    assert (first.category, first.topic_id, first.title) == ("status", cap.pk, "Kafka Topics: Partial outage")
    assert first.body_markdown == "Half the brokers are down"
    assert first.url == f"/t/{world_a.tenant.slug}/catalog/kafka/status/"
    assert second.title == "Kafka Topics: Resolved"


def test_team_restricted_capabilities_reach_only_followers_who_can_see_them(world_a):
    insider, outsider, tenant_admin, guest = (make_user() for _ in range(4))
    for user in (insider, outsider, guest):
        add_member(world_a.tenant, user)
    add_member(world_a.tenant, tenant_admin, Role.ADMIN)
    insiders = make_team(world_a.tenant, "insiders", members=[insider])
    guests = make_team(world_a.tenant, "guests", members=[guest])
    with tenant_context(world_a.tenant):
        hidden = catalog_services.capability_create(
            owner_team=insiders, name="Hidden Beta", visibility="teams", visible_to_teams=[insiders, guests]
        )
        subscription_follow(user=insider, topic_kind="capability", topic_id=hidden.pk)
        subscription_follow(user=guest, topic_kind="tenant", topic_id=None)
        subscription_follow(user=outsider, topic_kind="tenant", topic_id=None)  # must not hear of it
        subscription_follow(user=tenant_admin, topic_kind="tenant", topic_id=None)
    make_release(world_a.tenant, hidden, publish=True)
    with tenant_context(world_a.tenant):
        services.status_update_post(capability=hidden, status="degraded", message="Slow")
    dispatch_all(world_a, "catalog.release_published")
    release_note, status_note = dispatch_all(world_a, "catalog.status_update_posted")  # all, in order
    expected = sorted([insider.pk, guest.pk, tenant_admin.pk])
    assert release_note.recipient_user_ids == expected
    assert status_note.recipient_user_ids == expected


def test_publishing_end_to_end_creates_deliveries_for_subscribers(
    world_a, cap, django_capture_on_commit_callbacks
):
    follower = make_user()
    add_member(world_a.tenant, follower)
    with tenant_context(world_a.tenant):
        subscription_follow(user=follower, topic_kind="capability", topic_id=cap.pk)
    release = make_release(world_a.tenant, cap)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(world_a.tenant):
        services.release_publish(release=release)
    with tenant_context(world_a.tenant):
        assert Notification.objects.count() == 1
        assert Delivery.objects.filter(recipient_id=follower.pk).exists()
