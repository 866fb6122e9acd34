"""The board's services: filing, editing, triage workflow, votes, comments, events and their recipients."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.events.models import Event
from portal.notifications.models import Subscription
from portal.tenancy.context import tenant_context
from requests_app import selectors, services, trending
from requests_app.models import Comment, FeatureRequest, StatusChange, Vote
from tests.catalog.factories import make_capability
from tests.requests_app.factories import make_members, make_request, membership, vote

pytestmark = pytest.mark.django_db


def fresh(world, feature_request) -> FeatureRequest:
    with tenant_context(world.tenant):
        return FeatureRequest.objects.get(pk=feature_request.pk)


def events(world, name: str) -> list[Event]:
    with tenant_context(world.tenant):
        return list(Event.objects.filter(name=f"requests.{name}").order_by("id"))


@pytest.fixture
def capability(world_a):
    return make_capability(world_a.tenant, world_a.team, name="Kafka Topics")


# --- filing -------------------------------------------------------------------------------------------------


def test_numbers_count_per_tenant_and_the_author_votes_and_follows(world_a, world_b, capability):
    first = make_request(world_a.tenant, world_a.member, capability=capability, tags=["Kafka", "schemas"])
    second = make_request(world_a.tenant, world_a.maintainer)
    other = make_request(world_b.tenant, world_b.member)
    assert (first.number, second.number, other.number) == (1, 2, 1)
    first = fresh(world_a, first)
    assert first.vote_count == 1 and first.trend_score > 0
    with tenant_context(world_a.tenant):
        assert list(Vote.objects.filter(request=first).values_list("user_id", flat=True)) == [
            world_a.member.pk
        ]
        assert sorted(first.tags.values_list("name", flat=True)) == ["kafka", "schemas"]
        assert Subscription.objects.filter(
            user=world_a.member, topic_kind="request", topic_id=first.pk, active=True
        ).exists()
    assert [e.payload["number"] for e in events(world_a, "request_created")] == [1, 2]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "abc"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "A fine title", "body": "y" * 20_001}, "body"),
        ({"title": "A fine title", "tags": [f"t{i}" for i in range(11)]}, "tags"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_writes_nothing(world_a, data, field):
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as exc:
        services.request_create(membership=membership(world_a.tenant, world_a.member), **data)
    assert field in exc.value.message_dict
    with tenant_context(world_a.tenant):
        assert not FeatureRequest.objects.exists()
        assert not Event.objects.exists()


def test_viewers_cannot_file(world_a):
    with tenant_context(world_a.tenant), pytest.raises(PermissionDenied):
        services.request_create(membership=membership(world_a.tenant, world_a.viewer), title="Please add X")


def test_a_capability_of_another_tenant_is_refused(world_a, world_b):
    foreign = make_capability(world_b.tenant, world_b.team)
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as exc:
        services.request_create(
            membership=membership(world_a.tenant, world_a.member), title="Cross tenant", capability=foreign
        )
    assert "capability" in exc.value.message_dict


def test_authors_edit_while_open_maintainers_always_others_never(world_a, capability):
    fr = make_request(world_a.tenant, world_a.member, capability=capability)
    with tenant_context(world_a.tenant):
        services.request_update(
            membership=membership(world_a.tenant, world_a.member), feature_request=fr, title="Better title"
        )
        with pytest.raises(PermissionDenied):
            services.request_update(
                membership=membership(world_a.tenant, world_a.viewer), feature_request=fr, title="Hijacked"
            )
        maintainer = membership(world_a.tenant, world_a.maintainer)
        services.request_set_status(membership=maintainer, feature_request=fr, status="declined")
        fr.refresh_from_db()
        with pytest.raises(PermissionDenied):
            services.request_update(
                membership=membership(world_a.tenant, world_a.member), feature_request=fr, title="Once more"
            )
        services.request_update(membership=maintainer, feature_request=fr, tags=["triaged"])
        fr.refresh_from_db()
        tags = [t.name for t in fr.tags.all()]
    assert fr.title == "Better title"
    assert tags == ["triaged"]


# --- triage workflow ----------------------------------------------------------------------------------------


def test_the_workflow_with_notes_history_and_recipients(world_a, capability):
    fr = make_request(world_a.tenant, world_a.member, capability=capability)
    voters = make_members(world_a.tenant, 2)
    for user in voters:
        vote(world_a.tenant, user, fr)
    maintainer = membership(world_a.tenant, world_a.maintainer)
    with tenant_context(world_a.tenant):
        for status in ("under_review", "planned", "in_progress", "shipped"):
            services.request_set_status(
                membership=maintainer, feature_request=fr, status=status, note=f"Now {status}."
            )
        history = list(
            StatusChange.objects.filter(request=fr).values_list("from_status", "to_status", "note")
        )
    assert history == [
        ("new", "under_review", "Now under_review."),
        ("under_review", "planned", "Now planned."),
        ("planned", "in_progress", "Now in_progress."),
        ("in_progress", "shipped", "Now shipped."),
    ]
    changed = events(world_a, "status_changed")
    assert [e.payload["to_status"] for e in changed] == ["under_review", "planned", "in_progress", "shipped"]
    # Author and voters follow; the maintainer who acted is not told about their own change.
    expected = sorted([world_a.member.pk, *(u.pk for u in voters)])
    assert all(e.payload["recipient_user_ids"] == expected for e in changed)


@pytest.mark.parametrize(
    "path, wanted, message",
    [
        ([], "shipped", None),
        (["shipped"], "new", "cannot move to new"),
        (["declined"], "planned", "cannot move to planned"),
        ([], "duplicate", "merge it into"),
        ([], "new", "already new"),
        ([], "bogus", "Unknown status"),
    ],
)
def test_illegal_transitions_are_refused_clearly_and_change_nothing(
    world_a, capability, path, wanted, message
):
    fr = make_request(world_a.tenant, world_a.member, capability=capability)
    maintainer = membership(world_a.tenant, world_a.maintainer)
    with tenant_context(world_a.tenant):
        for status in path:
            services.request_set_status(membership=maintainer, feature_request=fr, status=status)
        before = (fresh(world_a, fr).status, StatusChange.objects.count(), Event.objects.count())
        if message is None:
            services.request_set_status(membership=maintainer, feature_request=fr, status=wanted)
            assert fresh(world_a, fr).status == wanted
            return
        with pytest.raises(ValidationError) as exc:
            services.request_set_status(membership=maintainer, feature_request=fr, status=wanted)
        assert message in " ".join(exc.value.message_dict["status"])
        assert (fresh(world_a, fr).status, StatusChange.objects.count(), Event.objects.count()) == before


def test_only_maintainers_of_the_owning_team_or_admins_triage(world_a, capability):
    fr = make_request(world_a.tenant, world_a.member, capability=capability)
    loose = make_request(world_a.tenant, world_a.member)  # no capability: tenant admins triage it
    with tenant_context(world_a.tenant):
        for user in (world_a.member, world_a.viewer):
            with pytest.raises(PermissionDenied):
                services.request_set_status(
                    membership=membership(world_a.tenant, user), feature_request=fr, status="planned"
                )
        with pytest.raises(PermissionDenied):
            services.request_set_status(
                membership=membership(world_a.tenant, world_a.maintainer),
                feature_request=loose,
                status="planned",
            )
        services.request_set_status(
            membership=membership(world_a.tenant, world_a.admin), feature_request=loose, status="planned"
        )
    assert fresh(world_a, loose).status == "planned"


def test_a_muted_follower_is_not_told(world_a, capability):
    fr = make_request(world_a.tenant, world_a.member, capability=capability)
    [loud, muted] = make_members(world_a.tenant, 2)
    vote(world_a.tenant, loud, fr)
    vote(world_a.tenant, muted, fr)
    with tenant_context(world_a.tenant):
        Subscription.objects.filter(user=muted, topic_kind="request", topic_id=fr.pk).update(active=False)
        vote(world_a.tenant, muted, fr)  # voting again does not re-activate the mute
        services.request_set_status(
            membership=membership(world_a.tenant, world_a.maintainer), feature_request=fr, status="planned"
        )
    [event] = events(world_a, "status_changed")
    assert event.payload["recipient_user_ids"] == sorted([world_a.member.pk, loud.pk])


# --- votes --------------------------------------------------------------------------------------------------


def test_votes_are_idempotent_and_counted_exactly(world_a, capability):
    fr = make_request(world_a.tenant, world_a.maintainer, capability=capability)
    m = membership(world_a.tenant, world_a.member)
    with tenant_context(world_a.tenant):
        assert services.vote_add(membership=m, feature_request=fr) is True
        assert services.vote_add(membership=m, feature_request=fr) is False
        assert fresh(world_a, fr).vote_count == 2
        assert services.vote_remove(membership=m, feature_request=fr) is True
        assert services.vote_remove(membership=m, feature_request=fr) is False
        fr = fresh(world_a, fr)
        assert fr.vote_count == Vote.objects.filter(request=fr).count() == 1
        assert fr.trend_score == pytest.approx(Vote.objects.get(request=fr).weight)


@pytest.mark.parametrize("status", ["shipped", "declined"])
def test_voting_closes_with_the_request(world_a, capability, status):
    fr = make_request(world_a.tenant, world_a.maintainer, capability=capability)
    m = membership(world_a.tenant, world_a.member)
    with tenant_context(world_a.tenant):
        services.request_set_status(
            membership=membership(world_a.tenant, world_a.maintainer), feature_request=fr, status=status
        )
        for action in (services.vote_add, services.vote_remove):
            with pytest.raises(ValidationError) as exc:
                action(membership=m, feature_request=fr)
            assert "Voting is closed" in exc.value.message_dict["vote"][0]
    assert fresh(world_a, fr).vote_count == 1


def test_viewers_cannot_vote(world_a):
    fr = make_request(world_a.tenant, world_a.member)
    with tenant_context(world_a.tenant), pytest.raises(PermissionDenied):
        services.vote_add(membership=membership(world_a.tenant, world_a.viewer), feature_request=fr)


def test_maintainers_record_votes_on_behalf_marked_as_such(world_a, capability):
    fr = make_request(world_a.tenant, world_a.maintainer, capability=capability)
    maintainer = membership(world_a.tenant, world_a.maintainer)
    with tenant_context(world_a.tenant):
        assert services.vote_record(
            membership=maintainer, feature_request=fr, username=world_a.member.username, note="Sprint review"
        )
        vote_row = Vote.objects.get(request=fr, user=world_a.member)
        assert vote_row.on_behalf and vote_row.recorded_by_id == world_a.maintainer.pk
        assert vote_row.note == "Sprint review"
        for username in (world_a.viewer.username, "nobody-here"):
            with pytest.raises(ValidationError) as exc:
                services.vote_record(membership=maintainer, feature_request=fr, username=username)
            assert "username" in exc.value.message_dict
        with pytest.raises(PermissionDenied):
            services.vote_record(
                membership=membership(world_a.tenant, world_a.member), feature_request=fr,
                username=world_a.admin.username,
            )  # fmt: skip
    assert fresh(world_a, fr).vote_count == 2


def test_a_member_of_another_tenant_cannot_be_recorded(world_a, world_b, capability):
    fr = make_request(world_a.tenant, world_a.maintainer, capability=capability)
    with tenant_context(world_a.tenant), pytest.raises(ValidationError):
        services.vote_record(
            membership=membership(world_a.tenant, world_a.maintainer), feature_request=fr,
            username=world_b.member.username,
        )  # fmt: skip


# --- trending -----------------------------------------------------------------------------------------------


def test_trending_halves_a_vote_every_week_and_orders_by_recency(world_a):
    now = timezone.now()
    assert trending.current(trending.vote_weight(now), now) == pytest.approx(1.0)
    week_old = trending.vote_weight(now - timedelta(days=7))
    assert trending.current(week_old, now) == pytest.approx(0.5)
    assert trending.current(trending.vote_weight(now - timedelta(days=28)), now) == pytest.approx(1 / 16)

    old = make_request(world_a.tenant, world_a.member, title="Old but popular")
    new = make_request(world_a.tenant, world_a.member, title="New and hot")
    for user in make_members(world_a.tenant, 3):
        vote(world_a.tenant, user, old)
    vote(world_a.tenant, make_members(world_a.tenant, 1)[0], new)
    with tenant_context(world_a.tenant):
        month_ago = now - timedelta(days=30)
        Vote.objects.filter(request=old).update(created_at=month_ago, weight=trending.vote_weight(month_ago))
        FeatureRequest.objects.filter(pk=old.pk).update(trend_score=4 * trending.vote_weight(month_ago))
        m = membership(world_a.tenant, world_a.member)
        top = [r.number for r in selectors.request_list(m, sort="top")]
        hot = [r.number for r in selectors.request_list(m, sort="trending")]
    assert top == [old.number, new.number]  # 4 votes beat 2
    assert hot == [new.number, old.number]  # 2 fresh votes (2.0) beat 4 month-old ones (~0.2)


# --- comments -----------------------------------------------------------------------------------------------


def test_official_responses_notify_followers_internal_notes_stay_internal(world_a, capability):
    fr = make_request(world_a.tenant, world_a.member, capability=capability)
    maintainer = membership(world_a.tenant, world_a.maintainer)
    with tenant_context(world_a.tenant):
        services.comment_create(membership=maintainer, feature_request=fr, body="We plan it.", official=True)
        services.comment_create(
            membership=maintainer, feature_request=fr, body="Costs 3 sprints.", internal=True
        )
        member = membership(world_a.tenant, world_a.member)
        public = selectors.comments_for(member, fr)
        everything = selectors.comments_for(maintainer, fr)
        with pytest.raises(ValidationError):
            services.comment_create(membership=member, feature_request=fr, body="Me too", official=True)
        with pytest.raises(ValidationError):
            services.comment_create(
                membership=maintainer, feature_request=fr, body="x", official=True, internal=True
            )
    assert [c.body for c in public] == ["We plan it."]
    assert [c.body for c in everything] == ["We plan it.", "Costs 3 sprints."]
    assert fresh(world_a, fr).comment_count == 1
    [event] = events(world_a, "official_response")
    assert event.payload["recipient_user_ids"] == [world_a.member.pk]
    assert event.payload["body"] == "We plan it."


def test_comments_are_edited_by_their_author_and_soft_deleted_with_a_trace(world_a, capability):
    fr = make_request(world_a.tenant, world_a.member, capability=capability)
    member = membership(world_a.tenant, world_a.member)
    [stranger] = make_members(world_a.tenant, 1)
    with tenant_context(world_a.tenant):
        comment = services.comment_create(membership=member, feature_request=fr, body="First draft")
        services.comment_edit(membership=member, comment=comment, body="Final words")
        with pytest.raises(PermissionDenied):
            services.comment_edit(
                membership=membership(world_a.tenant, world_a.maintainer), comment=comment, body="Censored"
            )
        with pytest.raises(PermissionDenied):
            services.comment_delete(membership=membership(world_a.tenant, stranger), comment=comment)
        services.comment_delete(membership=membership(world_a.tenant, world_a.maintainer), comment=comment)
        comment = Comment.objects.get(pk=comment.pk)
        with pytest.raises(ValidationError):
            services.comment_delete(membership=member, comment=comment)
        with pytest.raises(ValidationError):
            services.comment_create(membership=member, feature_request=fr, body="   ")
        with pytest.raises(ValidationError):
            services.comment_create(membership=member, feature_request=fr, body="z" * 10_001)
    assert comment.body == "Final words" and comment.edited_at is not None
    assert comment.deleted_at is not None and comment.deleted_by_id == world_a.maintainer.pk
    assert fresh(world_a, fr).comment_count == 0
