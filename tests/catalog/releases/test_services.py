"""Release and status services: validation, the state machine, and events emitted exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.models import Status
from catalog.releases import services
from catalog.releases.models import Release, ReleaseState, StatusUpdate
from catalog.releases.services import TransitionError
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of, make_release, requests_up_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(world_a):
    return capability_of(world_a, name="Kafka Topics", slug="kafka")


def published_events(tenant):
    with tenant_context(tenant):
        return list(Event.objects.filter(name="catalog.release_published"))


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_create_makes_a_draft_and_normalises_input(world_a, cap):
    requests_up_to(world_a, 15)
    release = make_release(
        world_a.tenant, cap, version=" 2.0.0 ", title="  Big one ", ships_request_numbers=[15, 3, 15]
    )
    assert release.state == ReleaseState.DRAFT
    assert (release.version, release.title, release.ships_request_numbers) == ("2.0.0", "Big one", [3, 15])
    assert release.published_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": ""}, "version"),
        ({"version": "1.0 beta"}, "version"),
        ({"version": "-1"}, "version"),
        ({"version": "x" * 65}, "version"),
        ({"title": "   "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"kind": "major"}, "kind"),
        ({"kind": "breaking"}, "upgrade_notes"),
        ({"kind": "breaking", "upgrade_notes": "   "}, "upgrade_notes"),
        ({"ships_request_numbers": [0]}, "ships_request_numbers"),
        ({"ships_request_numbers": [-3]}, "ships_request_numbers"),
        ({"ships_request_numbers": ["12"]}, "ships_request_numbers"),
        ({"ships_request_numbers": [True]}, "ships_request_numbers"),
        ({"ships_request_numbers": "12"}, "ships_request_numbers"),
        ({"ships_request_numbers": list(range(1, 60))}, "ships_request_numbers"),
        ({"notes": "n" * 50_001}, "notes"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(world_a, cap, data, field):
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as excinfo:
        services.release_create(capability=cap, **({"version": "1.0", "title": "T"} | data))
    assert field in errors_of(excinfo)
    with tenant_context(world_a.tenant):
        assert not Release.objects.exists()


def test_breaking_change_with_upgrade_notes_is_fine(world_a, cap):
    release = make_release(world_a.tenant, cap, kind="breaking", upgrade_notes="Rename your topics.")
    assert release.kind == "breaking"


def test_versions_are_unique_per_capability_ignoring_case_and_a_leading_v(world_a, cap):
    make_release(world_a.tenant, cap, version="v1.4.0")
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as excinfo:
        services.release_create(capability=cap, version="1.4.0", title="Again")
    assert "already has a release" in errors_of(excinfo)["version"][0]
    other = capability_of(world_a, name="Other")
    make_release(world_a.tenant, other, version="1.4.0")  # another capability may use it
    make_release(world_a.tenant, cap, version="1.4")  # free text: 1.4 is not 1.4.0


def test_a_capability_of_another_tenant_is_refused(world_a, world_b):
    foreign = capability_of(world_b, name="Foreign")
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as excinfo:
        services.release_create(capability=foreign, version="1.0", title="Sneaky")
    assert "capability" in errors_of(excinfo)


def test_publish_emits_the_contract_event_once_and_a_second_publish_is_a_conflict(world_a, cap):
    requests_up_to(world_a, 15)
    release = make_release(
        world_a.tenant, cap, version="1.4", title="Faster", kind="fix", ships_request_numbers=[12, 15]
    )
    with tenant_context(world_a.tenant):
        services.release_publish(release=release, user=world_a.maintainer)
        assert release.state == ReleaseState.PUBLISHED and release.published_at is not None
        with pytest.raises(TransitionError):
            services.release_publish(release=Release.objects.get(pk=release.pk))
    events = published_events(world_a.tenant)
    assert len(events) == 1
    assert events[0].payload == {
        "release_id": release.pk,
        "capability_id": cap.pk,
        "capability_slug": "kafka",
        "capability_name": "Kafka Topics",
        "version": "1.4",
        "title": "Faster",
        "kind": "fix",
        "url": f"/t/{world_a.tenant.slug}/catalog/releases/{release.pk}/",
        "ships_request_numbers": [12, 15],
        "published_by_id": world_a.maintainer.pk,
    }


def test_a_stale_instance_cannot_publish_twice(world_a, cap):
    """Two requests loaded the same draft; the row lock and re-read make the second one a conflict."""
    release = make_release(world_a.tenant, cap)
    with tenant_context(world_a.tenant):
        first, second = Release.objects.get(pk=release.pk), Release.objects.get(pk=release.pk)
        services.release_publish(release=first)
        with pytest.raises(TransitionError):
            services.release_publish(release=second)
    assert len(published_events(world_a.tenant)) == 1


def test_schedule_unschedule_and_publish_a_scheduled_release(world_a, cap):
    release = make_release(world_a.tenant, cap)
    at = timezone.now() + timedelta(days=2)
    with tenant_context(world_a.tenant):
        services.release_schedule(release=release, at=at)
        assert (release.state, release.scheduled_for) == (ReleaseState.SCHEDULED, at)
        services.release_schedule(release=release, at=at + timedelta(hours=1))  # rescheduling is fine
        services.release_unschedule(release=release)
        assert (release.state, release.scheduled_for) == (ReleaseState.DRAFT, None)
        with pytest.raises(TransitionError):
            services.release_unschedule(release=release)  # a draft is not scheduled
        services.release_schedule(release=release, at=at)
        services.release_publish(release=release)
        assert release.state == ReleaseState.PUBLISHED
        with pytest.raises(TransitionError):
            services.release_schedule(release=release, at=at)
        with pytest.raises(TransitionError):
            services.release_unschedule(release=release)
    assert len(published_events(world_a.tenant)) == 1


@pytest.mark.parametrize("delta", [timedelta(minutes=-1), timedelta(0), timedelta(days=400)])
def test_schedule_needs_a_time_in_the_near_future(world_a, cap, delta):
    release = make_release(world_a.tenant, cap)
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as excinfo:
        services.release_schedule(release=release, at=timezone.now() + delta)
    assert "scheduled_for" in errors_of(excinfo)
    with tenant_context(world_a.tenant):
        assert Release.objects.get(pk=release.pk).state == ReleaseState.DRAFT


def test_schedule_refuses_a_naive_datetime(world_a, cap):
    release = make_release(world_a.tenant, cap)
    with tenant_context(world_a.tenant), pytest.raises(ValidationError):
        services.release_schedule(
            release=release, at=(timezone.now() + timedelta(days=1)).replace(tzinfo=None)
        )


def test_drafts_change_freely_but_published_releases_only_in_wording(world_a, cap):
    requests_up_to(world_a, 5)
    release = make_release(world_a.tenant, cap, version="1.0")
    with tenant_context(world_a.tenant):
        services.release_update(release=release, version="1.1", kind="security", ships_request_numbers=[4])
        assert (release.version, release.kind, release.ships_request_numbers) == ("1.1", "security", [4])
        services.release_publish(release=release)
        services.release_update(release=release, title="Better title", notes="Fixed typo", version="1.1")
        assert (release.title, release.notes) == ("Better title", "Fixed typo")
        for change in ({"version": "1.2"}, {"kind": "fix"}, {"ships_request_numbers": [5]}):
            with pytest.raises(TransitionError):
                services.release_update(release=release, **change)
        fresh = Release.objects.get(pk=release.pk)
    assert (fresh.version, fresh.kind, fresh.ships_request_numbers, fresh.title) == (
        "1.1",
        "security",
        [4],
        "Better title",
    )


def test_turning_a_draft_into_a_breaking_change_needs_upgrade_notes(world_a, cap):
    release = make_release(world_a.tenant, cap)
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError) as excinfo:
            services.release_update(release=release, kind="breaking")
        assert "upgrade_notes" in errors_of(excinfo)
        services.release_update(release=release, kind="breaking", upgrade_notes="Do X.")
        published = make_release(world_a.tenant, cap, kind="breaking", upgrade_notes="Y", publish=True)
        with pytest.raises(ValidationError):
            services.release_update(release=published, upgrade_notes="")  # still breaking


def test_only_unpublished_releases_can_be_deleted(world_a, cap):
    draft = make_release(world_a.tenant, cap)
    published = make_release(world_a.tenant, cap, publish=True)
    with tenant_context(world_a.tenant):
        services.release_delete(release=draft)
        with pytest.raises(TransitionError):
            services.release_delete(release=published)
        assert list(Release.objects.values_list("pk", flat=True)) == [published.pk]


# --- status updates -------------------------------------------------------------------------------------
def post(world, cap, **kwargs):
    with tenant_context(world.tenant):
        return services.status_update_post(capability=cap, **kwargs)


def test_an_incident_opens_gets_follow_ups_and_resolves(world_a, cap):
    root = post(world_a, cap, status="degraded", message="Lag on **eu-1**.", user=world_a.maintainer)
    assert root.is_open and root.incident_id is None
    assert (cap.status, cap.status_message) == (Status.DEGRADED, "Lag on eu-1.")
    follow = post(world_a, cap, status="partial_outage", message="Worse now.")
    assert follow.incident_id == root.pk and cap.status == Status.PARTIAL_OUTAGE
    done = post(world_a, cap, resolved=True, message="All good.")
    assert done.incident_id == root.pk and done.resolved and done.status == Status.OPERATIONAL
    with tenant_context(world_a.tenant):
        root.refresh_from_db()
        cap.refresh_from_db()
        assert root.resolved_at == done.created_at
        assert (cap.status, cap.status_message) == (Status.OPERATIONAL, "")
        events = list(Event.objects.filter(name="catalog.status_update_posted").order_by("pk"))
    assert len(events) == 3
    assert events[-1].payload == {
        "status_update_id": done.pk,
        "capability_id": cap.pk,
        "capability_slug": "kafka",
        "capability_name": "Kafka Topics",
        "status": "operational",
        "message": "All good.",
        "resolved": True,
        "url": f"/t/{world_a.tenant.slug}/catalog/kafka/status/",
    }
    # The next problem opens a new incident.
    second = post(world_a, cap, status="maintenance", message="Upgrade tonight.")
    assert second.incident_id is None and second.pk != root.pk


def test_operational_with_nothing_open_is_a_back_to_normal_notice(world_a, cap):
    update = post(world_a, cap, status="operational", message="Fine again.")
    assert update.resolved and update.resolved_at is not None and not update.is_open


def test_operational_follow_up_keeps_the_incident_open_while_monitoring(world_a, cap):
    root = post(world_a, cap, status="major_outage", message="Down.")
    follow = post(world_a, cap, status="operational", message="Fix deployed, monitoring.")
    assert follow.incident_id == root.pk and not follow.resolved
    with tenant_context(world_a.tenant):
        assert StatusUpdate.objects.get(pk=root.pk).is_open


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "degraded", "message": "  "}, "message"),
        ({"status": "on-fire", "message": "x"}, "status"),
        ({"message": "x"}, "status"),
        ({"status": "degraded", "message": "x", "resolved": True}, "status"),
        ({"status": "degraded", "message": "x" * 5001}, "message"),
    ],
)
def test_bad_status_updates_write_nothing(world_a, cap, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        post(world_a, cap, **kwargs)
    assert field in errors_of(excinfo)
    with tenant_context(world_a.tenant):
        assert not StatusUpdate.objects.exists()
        cap.refresh_from_db()
        assert cap.status == Status.OPERATIONAL


def test_long_markdown_message_becomes_a_plain_one_line_summary(world_a, cap):
    post(world_a, cap, status="degraded", message="# Title\n\n<script>alert(1)</script>" + " word" * 200)
    assert len(cap.status_message) <= 300 and cap.status_message.endswith("…")
    assert "<" not in cap.status_message and "#" not in cap.status_message
