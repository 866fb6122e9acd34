"""Closing the loop: a published release ships the requests it names, and their voters hear about it."""

from __future__ import annotations

import pytest

from portal.events.models import Event
from portal.events.services import event_dispatch
from portal.notifications.models import InboxItem, Notification
from portal.tenancy.context import tenant_context
from requests_app import services
from requests_app.models import FeatureRequest, StatusChange
from tests.catalog.factories import make_capability
from tests.catalog.releases.factories import make_release
from tests.requests_app.factories import make_members, make_request, membership, vote

pytestmark = pytest.mark.django_db


def dispatch(world, prefix: str) -> None:
    """Run the handlers of every undispatched event whose name starts with `prefix`, in order."""
    with tenant_context(world.tenant):
        for event in Event.objects.filter(name__startswith=prefix, dispatched_at__isnull=True).order_by("id"):
            event_dispatch(event.pk)


def test_a_release_ships_its_requests_and_tells_voters_and_followers(
    world_a, django_capture_on_commit_callbacks
):
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka Topics")
    other = make_capability(world_a.tenant, world_a.team, name="DNS")
    wanted = make_request(world_a.tenant, world_a.member, capability=kafka, title="Schema checks in forms")
    elsewhere = make_request(world_a.tenant, world_a.member, capability=other, title="Wildcard records")
    merged = make_request(world_a.tenant, world_a.member, capability=kafka, title="Validate Avro schemas")
    [voter] = make_members(world_a.tenant, 1)
    vote(world_a.tenant, voter, wanted)
    with tenant_context(world_a.tenant):
        services.request_merge(
            membership=membership(world_a.tenant, world_a.maintainer), source=merged, target=wanted
        )
    release = make_release(
        world_a.tenant, kafka, version="1.4.0", title="Schema checks",
        ships_request_numbers=[merged.number], publish=True, user=world_a.maintainer,
    )  # fmt: skip
    with tenant_context(world_a.tenant):  # numbers that no longer resolve when it is published
        event = Event.objects.get(name="catalog.release_published")
        event.payload["ships_request_numbers"] = [merged.number, elsewhere.number, 999]
        event.save(update_fields=["payload"])
    dispatch(world_a, "catalog.")
    with django_capture_on_commit_callbacks(execute=True):  # the fan-out runs after commit (eager here)
        dispatch(world_a, "requests.")
    with tenant_context(world_a.tenant):
        wanted, elsewhere = (FeatureRequest.objects.get(pk=r.pk) for r in (wanted, elsewhere))
        note = StatusChange.objects.filter(request=wanted).latest("id").note
        shipped = {
            n.title: n for n in Notification.objects.filter(category="request", title__contains="shipped")
        }
        inboxes = {
            title: set(InboxItem.objects.filter(notification=n).values_list("user_id", flat=True))
            for title, n in shipped.items()
        }
    # The duplicate's number shipped the request it was merged into; what no longer resolves by publication
    # time (moved to another capability, gone) is skipped rather than failing the published release.
    assert (wanted.status, wanted.shipped_in) == ("shipped", "Kafka Topics 1.4.0")
    assert wanted.shipped_in_url == f"/t/{world_a.tenant.slug}/catalog/releases/{release.pk}/"
    assert note == f"Shipped in [Kafka Topics 1.4.0]({wanted.shipped_in_url})."
    assert elsewhere.status == "new"
    # Worded for each audience, never the maintainer who published: the author (also of the merged
    # duplicate) hears "Your request", the voter "A request you voted for".
    author_title = f"Your request #{wanted.number} shipped in Kafka Topics 1.4.0"
    voter_title = (
        f"A request you voted for shipped in Kafka Topics 1.4.0: #{wanted.number} Schema checks in forms"
    )
    assert set(shipped) == {author_title, voter_title}
    assert all((n.topic_kind, n.topic_id) == ("request", wanted.pk) for n in shipped.values())
    assert shipped[author_title].recipient_user_ids == [world_a.member.pk]
    assert shipped[voter_title].recipient_user_ids == [voter.pk]
    assert inboxes == {author_title: {world_a.member.pk}, voter_title: {voter.pk}}


def test_dispatching_the_release_again_ships_and_notifies_once(world_a):
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka Topics")
    wanted = make_request(world_a.tenant, world_a.member, capability=kafka)
    make_release(world_a.tenant, kafka, version="2.0", ships_request_numbers=[wanted.number], publish=True)
    dispatch(world_a, "catalog.")
    with tenant_context(world_a.tenant):
        Event.objects.filter(name="catalog.release_published").update(dispatched_at=None)
        Event.objects.filter(name="catalog.release_published").first().handler_runs.all().delete()
    dispatch(world_a, "catalog.")
    dispatch(world_a, "requests.")
    with tenant_context(world_a.tenant):
        assert StatusChange.objects.filter(request=wanted, to_status="shipped").count() == 1
        assert Notification.objects.filter(category="request").count() == 1
