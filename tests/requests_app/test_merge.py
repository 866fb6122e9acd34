"""Merging duplicates: votes, followers, tags and comments move or stay reachable; nothing is dropped."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.events.models import Event
from portal.notifications.models import Subscription
from portal.tenancy.context import tenant_context
from requests_app import selectors, services
from requests_app.models import FeatureRequest, StatusChange, Vote
from tests.catalog.factories import make_capability
from tests.requests_app.factories import make_members, make_request, membership, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def capability(world_a):
    return make_capability(world_a.tenant, world_a.team, name="Kubernetes Namespaces")


def merge(world, source, target, user=None, note=""):
    with tenant_context(world.tenant):
        return services.request_merge(
            membership=membership(world.tenant, user or world.maintainer),
            source=source,
            target=target,
            note=note,
        )


def state(world, *requests):
    with tenant_context(world.tenant):
        return [FeatureRequest.objects.get(pk=r.pk) for r in requests]


def test_overlapping_voters_count_once_and_every_person_keeps_a_vote(world_a, capability):
    a = make_request(world_a.tenant, world_a.member, capability=capability, title="Quota self-service A")
    b = make_request(world_a.tenant, world_a.admin, capability=capability, title="Quota self-service B")
    both, only_a, only_b = make_members(world_a.tenant, 3)
    for user in (both, only_a):
        vote(world_a.tenant, user, a)
    for user in (both, only_b):
        vote(world_a.tenant, user, b)
    # a: member, both, only_a (3); b: admin, both, only_b (3); people overall: 5
    target = merge(world_a, a, b, note="Same ask.")
    a, b = state(world_a, a, b)
    with tenant_context(world_a.tenant):
        voters = set(Vote.objects.filter(request=b).values_list("user_id", flat=True))
        assert not Vote.objects.filter(request=a).exists()
    assert voters == {world_a.member.pk, world_a.admin.pk, both.pk, only_a.pk, only_b.pk}
    assert b.vote_count == target.vote_count == 5
    assert a.vote_count == 0 and a.status == "duplicate" and a.duplicate_of_id == b.pk


def test_followers_tags_and_comments_move_or_stay_readable(world_a, capability):
    a = make_request(world_a.tenant, world_a.member, capability=capability, tags=["quotas", "cpu"])
    b = make_request(world_a.tenant, world_a.admin, capability=capability, tags=["quotas"])
    [muted] = make_members(world_a.tenant, 1)
    vote(world_a.tenant, muted, a)
    with tenant_context(world_a.tenant):
        Subscription.objects.filter(user=muted, topic_kind="request", topic_id=a.pk).update(active=False)
        services.comment_create(
            membership=membership(world_a.tenant, world_a.member), feature_request=a, body="We need 64 cores."
        )
    merge(world_a, a, b)
    with tenant_context(world_a.tenant):
        followers = dict(
            Subscription.objects.filter(topic_kind="request", topic_id=b.pk).values_list("user_id", "active")
        )
        tags = sorted(b.tags.values_list("name", flat=True))
        comments = selectors.comments_for(membership(world_a.tenant, world_a.admin), b)
        history_b = list(StatusChange.objects.filter(request=b).values_list("kind", "related_id"))
    assert followers == {world_a.admin.pk: True, world_a.member.pk: True, muted.pk: False}
    assert tags == ["cpu", "quotas"]
    assert [(c.body, c.request_id) for c in comments] == [("We need 64 cores.", a.pk)]
    assert history_b == [("merged_in", a.pk)]


def test_merging_into_a_closed_request_drops_nothing(world_a, capability):
    a = make_request(world_a.tenant, world_a.member, capability=capability)
    b = make_request(world_a.tenant, world_a.admin, capability=capability)
    extra = make_members(world_a.tenant, 2)
    for user in extra:
        vote(world_a.tenant, user, a)
    with tenant_context(world_a.tenant):
        services.request_set_status(
            membership=membership(world_a.tenant, world_a.maintainer), feature_request=b, status="shipped"
        )
    merge(world_a, a, b)
    a, b = state(world_a, a, b)
    assert (a.status, b.status, b.vote_count) == ("duplicate", "shipped", 4)


def test_earlier_duplicates_follow_to_the_new_target(world_a, capability):
    a, b, c = (make_request(world_a.tenant, world_a.member, capability=capability) for _ in range(3))
    merge(world_a, a, b)
    merge(world_a, b, c)
    a, b, c = state(world_a, a, b, c)
    assert a.duplicate_of_id == c.pk and b.duplicate_of_id == c.pk
    with tenant_context(world_a.tenant):
        assert {r.pk for r in selectors.duplicates_of(c)} == {a.pk, b.pk}


@pytest.mark.parametrize("case", ["self", "source_closed", "target_duplicate"])
def test_impossible_merges_are_refused_and_change_nothing(world_a, capability, case):
    a, b, c = (make_request(world_a.tenant, world_a.member, capability=capability) for _ in range(3))
    if case == "source_closed":
        merge(world_a, a, c)
    if case == "target_duplicate":
        merge(world_a, b, c)
    with tenant_context(world_a.tenant):
        before = (
            list(Vote.objects.order_by("id").values_list("request_id", flat=True)),
            Event.objects.count(),
        )
    source, target = {"self": (a, a), "source_closed": (a, b), "target_duplicate": (a, b)}[case]
    source, target = state(world_a, source, target)
    with pytest.raises(ValidationError) as exc:
        merge(world_a, source, target)
    assert "into" in exc.value.message_dict
    if case == "target_duplicate":
        assert f"merge into #{c.number} instead" in exc.value.message_dict["into"][0]
    with tenant_context(world_a.tenant):
        after = (
            list(Vote.objects.order_by("id").values_list("request_id", flat=True)),
            Event.objects.count(),
        )
    assert after == before


def test_only_triagers_merge_and_the_source_followers_are_told(world_a, capability):
    a = make_request(world_a.tenant, world_a.member, capability=capability)
    b = make_request(world_a.tenant, world_a.admin, capability=capability)
    [voter] = make_members(world_a.tenant, 1)
    vote(world_a.tenant, voter, a)
    with pytest.raises(PermissionDenied):
        merge(world_a, a, b, user=world_a.member)
    merge(world_a, a, b, note="Duplicate of the older one.")
    with tenant_context(world_a.tenant):
        [event] = Event.objects.filter(name="requests.merged")
    assert event.payload["recipient_user_ids"] == sorted([world_a.member.pk, voter.pk])
    assert (event.payload["number"], event.payload["target_number"]) == (a.number, b.number)
    assert event.payload["moved_votes"] == 2
