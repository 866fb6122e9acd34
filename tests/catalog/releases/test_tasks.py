"""Scheduled publishing: a beat task every minute, idempotent, safe against concurrent runs and clicks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog.releases import services
from catalog.releases.models import Release, ReleaseState
from catalog.releases.services import TransitionError
from catalog.releases.tasks import publish_due_releases
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of, make_release


def schedule(world, release, *, minutes_ago: int | None = None, minutes_ahead: int | None = None):
    with tenant_context(world.tenant):
        services.release_schedule(release=release, at=timezone.now() + timedelta(days=1))
        if minutes_ago is not None:  # time passes: move the schedule into the past
            Release.objects.filter(pk=release.pk).update(
                scheduled_for=timezone.now() - timedelta(minutes=minutes_ago)
            )
        elif minutes_ahead is not None:
            Release.objects.filter(pk=release.pk).update(
                scheduled_for=timezone.now() + timedelta(minutes=minutes_ahead)
            )


def state_of(world, release) -> str:
    with tenant_context(world.tenant):
        return Release.objects.get(pk=release.pk).state


def published_events(world) -> int:
    with tenant_context(world.tenant):
        return Event.objects.filter(name="catalog.release_published").count()


def test_beat_schedule_runs_the_registered_task_every_minute():
    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["catalog-publish-due-releases"]
    assert entry["task"] == "catalog.releases.tasks.publish_due_releases"
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks


@pytest.mark.django_db
def test_due_releases_of_every_tenant_are_published_once(world_a, world_b):
    cap_a, cap_b = capability_of(world_a), capability_of(world_b)
    due_a, due_b = make_release(world_a.tenant, cap_a), make_release(world_b.tenant, cap_b)
    later, back_to_draft, draft = (make_release(world_a.tenant, cap_a) for _ in range(3))
    schedule(world_a, due_a, minutes_ago=1)
    schedule(world_b, due_b, minutes_ago=30)
    schedule(world_a, later, minutes_ahead=5)
    schedule(world_a, back_to_draft, minutes_ago=2)
    with tenant_context(world_a.tenant):
        services.release_unschedule(release=back_to_draft)

    assert publish_due_releases.delay().get() == 2
    assert state_of(world_a, due_a) == state_of(world_b, due_b) == ReleaseState.PUBLISHED
    assert [state_of(world_a, r) for r in (later, back_to_draft, draft)] == ["scheduled", "draft", "draft"]
    assert publish_due_releases.delay().get() == 0  # idempotent: nothing is published twice
    assert published_events(world_a) == published_events(world_b) == 1
    with tenant_context(world_b.tenant):
        event = Event.objects.get(name="catalog.release_published")
    assert event.payload["release_id"] == due_b.pk  # each tenant's event lives in that tenant


@pytest.mark.django_db
def test_one_tenant_only(world_a, world_b):
    cap_a, cap_b = capability_of(world_a), capability_of(world_b)
    due_a, due_b = make_release(world_a.tenant, cap_a), make_release(world_b.tenant, cap_b)
    schedule(world_a, due_a, minutes_ago=1)
    schedule(world_b, due_b, minutes_ago=1)
    assert publish_due_releases(tenant_id=world_b.tenant.pk) == 1
    assert (state_of(world_a, due_a), state_of(world_b, due_b)) == ("scheduled", "published")


@pytest.mark.django_db
def test_a_manual_publish_before_the_beat_wins_and_the_beat_does_nothing(world_a):
    release = make_release(world_a.tenant, capability_of(world_a))
    schedule(world_a, release, minutes_ago=1)
    with tenant_context(world_a.tenant):
        services.release_publish(release=release)
    assert publish_due_releases() == 0
    assert published_events(world_a) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_release_locked_by_someone_else_is_skipped_not_waited_for(world_a):
    """skip_locked: while a maintainer's transaction holds the row, the beat leaves it for the next run."""
    release = make_release(world_a.tenant, capability_of(world_a))
    schedule(world_a, release, minutes_ago=1)
    locked, done = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with tenant_context(world_a.tenant), transaction.atomic():
                list(Release.objects.select_for_update().filter(pk=release.pk))
                locked.set()
                done.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(30)
    try:
        assert publish_due_releases() == 0
        assert state_of(world_a, release) == ReleaseState.SCHEDULED
    finally:
        done.set()
        holder.join(30)
    assert publish_due_releases() == 1
    assert published_events(world_a) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_emit_exactly_one_event(world_a):
    """Two workers publish the same release at the same moment: one wins, the other gets a conflict."""
    release = make_release(world_a.tenant, capability_of(world_a))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def publish():
        try:
            with tenant_context(world_a.tenant):
                stale = Release.objects.get(pk=release.pk)
                barrier.wait(30)
                try:
                    services.release_publish(release=stale)
                    outcomes.append("published")
                except TransitionError:
                    outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "published"]
    assert published_events(world_a) == 1
