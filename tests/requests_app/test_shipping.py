"""A release names the requests it ships ("Ships requests: #4, #99"): each number must resolve when the
release is saved (service, page, API), and the shipped message is worded for who gets it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from catalog.releases import services as release_services
from catalog.releases.models import Release
from portal.events.models import Event
from portal.events.services import event_dispatch
from portal.notifications.models import Notification
from portal.tenancy.context import tenant_context
from requests_app import services
from requests_app.services import common
from tests.catalog.factories import make_capability
from tests.catalog.releases.factories import make_release
from tests.requests_app.factories import make_members, make_request, membership, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def kafka(world_a):
    return make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka")


def releases(world) -> int:
    with tenant_context(world.tenant):
        return Release.objects.count()


def test_unknown_numbers_and_other_capabilities_requests_are_refused_at_save(world_a, kafka):
    dns = make_capability(world_a.tenant, world_a.team, name="DNS")
    ours = make_request(world_a.tenant, world_a.member, capability=kafka)
    theirs = make_request(world_a.tenant, world_a.member, capability=dns)
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as excinfo:
        release_services.release_create(
            capability=kafka, version="1.0", title="T", ships_request_numbers=[ours.number, theirs.number, 99]
        )
    assert excinfo.value.message_dict["ships_request_numbers"] == [
        f"#{theirs.number} is a request for DNS, not for this capability.",
        "There is no request #99.",
    ]
    assert releases(world_a) == 0
    draft = make_release(world_a.tenant, kafka, ships_request_numbers=[ours.number])
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError, match="There is no request #99"):
            release_services.release_update(release=draft, ships_request_numbers=[ours.number, 99])
        with pytest.raises(ValidationError, match="is a request for Kafka Topics"):  # moving the release
            release_services.release_update(release=draft, capability=dns)
        assert Release.objects.get(pk=draft.pk).ships_request_numbers == [ours.number]


def test_general_requests_and_merged_duplicates_may_be_shipped(world_a, kafka):
    general = make_request(world_a.tenant, world_a.member)
    target = make_request(world_a.tenant, world_a.member, capability=kafka)
    duplicate = make_request(world_a.tenant, world_a.member, capability=kafka)
    with tenant_context(world_a.tenant):
        services.request_merge(
            membership=membership(world_a.tenant, world_a.maintainer), source=duplicate, target=target
        )
    release = make_release(world_a.tenant, kafka, ships_request_numbers=[general.number, duplicate.number])
    assert release.ships_request_numbers == sorted([general.number, duplicate.number])


def test_the_release_page_and_the_api_answer_400_naming_the_unknown_number(world_a, kafka, client):
    make_request(world_a.tenant, world_a.member, capability=kafka)  # #1
    client.force_login(world_a.maintainer)
    page = client.post(
        f"/t/{world_a.tenant.slug}/catalog/releases/new/",
        {"capability": "kafka", "version": "1.0", "title": "T", "kind": "feature", "ships": "#1, #99",
         "action": "publish"},
    )  # fmt: skip
    assert page.status_code == 400
    assert "There is no request #99." in page.content.decode()
    api = Client(headers={"Authorization": f"Bearer {world_a.tokens['maintainer']}"})
    answer = api.post(
        "/api/v1/releases/",
        {"capability": "kafka", "version": "1.0", "title": "T", "ships_request_numbers": [1, 99]},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "There is no request #99." in str(answer.json())
    assert releases(world_a) == 0
    with tenant_context(world_a.tenant):
        assert not Event.objects.filter(name__startswith="catalog.release").exists()


def test_shipped_is_worded_for_the_author_the_voters_and_the_other_followers(
    world_a, kafka, django_capture_on_commit_callbacks
):
    wanted = make_request(world_a.tenant, world_a.member, capability=kafka, title="Schema checks")
    voter, follower = make_members(world_a.tenant, 2)
    vote(world_a.tenant, voter, wanted)
    with tenant_context(world_a.tenant):
        common.follow(wanted, [follower.pk])
    make_release(
        world_a.tenant, kafka, version="2.0", ships_request_numbers=[wanted.number], publish=True,
        user=world_a.maintainer,
    )  # fmt: skip
    with tenant_context(world_a.tenant):
        for name in ("catalog.", "requests."):
            for event in Event.objects.filter(name__startswith=name, dispatched_at__isnull=True).order_by(
                "id"
            ):
                with django_capture_on_commit_callbacks(execute=True):
                    event_dispatch(event.pk)
        shipped = {
            n.title: (n.recipient_user_ids, n.key)
            for n in Notification.objects.filter(category="request", topic_id=wanted.pk)
        }
        event = Event.objects.get(name="requests.status_changed")
    number = wanted.number
    assert shipped == {
        f"Your request #{number} shipped in Kafka Topics 2.0": (
            [world_a.member.pk],
            f"event:{event.pk}:author",
        ),
        f"A request you voted for shipped in Kafka Topics 2.0: #{number} Schema checks": (
            [voter.pk],
            f"event:{event.pk}:voters",
        ),
        f"A request you follow shipped in Kafka Topics 2.0: #{number} Schema checks": (
            [follower.pk],
            f"event:{event.pk}",
        ),
    }
