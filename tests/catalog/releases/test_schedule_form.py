"""Scheduling from the release form ("Publish at", UTC): the README's draft -> scheduled -> published,
without a second page. The beat task publishes it when the time comes; a past time is a 400 that saves
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from catalog.releases.models import Release, ReleaseState
from catalog.releases.tasks import publish_due_releases
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of, make_release
from tests.catalog.releases.test_pages import HTMX, events, fetch, form, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(world_a):
    return capability_of(world_a, name="Kafka Topics", slug="kafka")


def local(when: datetime) -> str:
    """What a datetime-local input sends: no zone, read as UTC (the field says so)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def releases(world) -> list[Release]:
    with tenant_context(world.tenant):
        return list(Release.objects.all())


def test_the_form_offers_a_publish_time_in_utc(world_a, cap, client):
    client.force_login(world_a.maintainer)
    body = client.get(url(world_a, "releases/new/?capability=kafka")).content.decode()
    assert 'type="datetime-local" name="publish_at"' in body
    assert "Publish at (UTC)" in body
    assert 'name="action" value="schedule"' in body


def test_schedule_from_the_form_then_the_beat_publishes_it(world_a, cap, client):
    client.force_login(world_a.maintainer)
    at = (timezone.now() + timedelta(hours=3)).replace(second=0, microsecond=0)
    response = client.post(url(world_a, "releases/new/"), form(action="schedule", publish_at=local(at)))
    assert response.status_code == 302
    [release] = releases(world_a)
    assert (release.state, release.scheduled_for) == (ReleaseState.SCHEDULED, at)
    page = client.get(response["Location"]).content.decode()
    assert f"Scheduled: it will be published at {at:%Y-%m-%d %H:%M} UTC." in page
    assert "Goes out at" in page and f"{at:%Y-%m-%d %H:%M} UTC" in page
    assert events(world_a) == 0

    assert publish_due_releases(tenant_id=world_a.tenant.pk) == 0  # not yet
    with tenant_context(world_a.tenant):  # time passes
        Release.objects.filter(pk=release.pk).update(scheduled_for=timezone.now() - timedelta(minutes=1))
    assert publish_due_releases(tenant_id=world_a.tenant.pk) == 1
    assert fetch(world_a, release).state == ReleaseState.PUBLISHED
    assert events(world_a) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "schedule", "publish_at": "2001-01-01T09:00"}, "Choose a time in the future"),
        ({"action": "draft", "publish_at": "2001-01-01T09:00"}, "Choose a time in the future"),
        ({"action": "schedule", "publish_at": ""}, "Choose when to publish it"),
        ({"action": "schedule", "publish_at": "tomorrow"}, "Enter a valid date/time"),
        ({"action": "publish", "publish_at": "2999-01-01T09:00"}, "clear the time to publish now"),
    ],
)
def test_a_bad_publish_time_answers_400_and_saves_nothing(world_a, cap, client, data, message):
    client.force_login(world_a.maintainer)
    for headers in ({}, HTMX):
        response = client.post(url(world_a, "releases/new/"), form(**data), headers=headers)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert releases(world_a) == []
    assert events(world_a, "catalog.release_scheduled") == 0


def test_the_edit_form_reschedules_and_an_emptied_time_goes_back_to_draft(world_a, cap, client):
    client.force_login(world_a.maintainer)
    release = make_release(world_a.tenant, cap, version="2.0", title="Later")
    edit = url(world_a, f"releases/{release.pk}/edit/")
    at = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = form(version="2.0", title="Later, renamed", publish_at=local(at))
    assert client.post(edit, data).status_code == 302
    fresh = fetch(world_a, release)
    assert (fresh.state, fresh.scheduled_for, fresh.title) == (ReleaseState.SCHEDULED, at, "Later, renamed")
    page = client.get(edit).content.decode()
    assert f'value="{local(at)}"' in page and "Scheduled: it goes out at" in page

    past = client.post(edit, form(version="2.0", title="Not this", publish_at="2001-01-01T09:00"))
    assert past.status_code == 400 and "Choose a time in the future" in past.content.decode()
    assert (fetch(world_a, release).title, fetch(world_a, release).scheduled_for) == ("Later, renamed", at)

    assert client.post(edit, form(version="2.0", title="Later, renamed", publish_at="")).status_code == 302
    fresh = fetch(world_a, release)
    assert (fresh.state, fresh.scheduled_for) == (ReleaseState.DRAFT, None)
