"""Posting a status update is idempotent per rendered form: a double click or a resent form posts once.

The form carries a hidden `submission_key` (a fresh UUID per rendered form); the service returns the update
already posted with that key instead of posting (and announcing) it again, and the page says "Posted".
"""

from __future__ import annotations

import re
import uuid

import pytest

from catalog.releases import services
from catalog.releases.models import StatusUpdate
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.catalog.releases.factories import capability_of

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def cap(world_a):
    return capability_of(world_a, name="Kafka Topics", slug="kafka")


def status_url(world) -> str:
    return f"/t/{world.tenant.slug}/catalog/kafka/status/"


def counts(world) -> tuple[int, int]:
    with tenant_context(world.tenant):
        return (
            StatusUpdate.objects.count(),
            Event.objects.filter(name="catalog.status_update_posted").count(),
        )


def form_key(html: str) -> str:
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html)
    assert found, "the status form carries a submission key"
    return found.group(1)


def test_the_same_form_posted_twice_posts_one_update_and_says_posted(world_a, cap, client):
    client.force_login(world_a.maintainer)
    key = form_key(client.get(status_url(world_a)).content.decode())
    data = {"status": "degraded", "message": "Lag on eu-1", "submission_key": key}
    first = client.post(status_url(world_a), data)
    second = client.post(status_url(world_a), data)
    assert first.status_code == second.status_code == 302
    assert counts(world_a) == (1, 1)
    page = client.get(status_url(world_a)).content.decode()
    assert "Posted." in page
    assert form_key(page) != key  # a new form, a new token: the next update is a new post


def test_htmx_post_shows_posted_in_the_board_and_renews_the_token(world_a, cap, client):
    client.force_login(world_a.maintainer)
    key = str(uuid.uuid4())
    data = {"status": "degraded", "message": "Lag on eu-1", "submission_key": key}
    answers = [client.post(status_url(world_a), data, headers=HTMX) for _ in range(2)]
    for answer in answers:
        body = answer.content.decode()
        assert answer.status_code == 200 and 'data-testid="status-posted"' in body and "Posted." in body
        assert form_key(body) != key
    assert counts(world_a) == (1, 1)


def test_different_forms_post_different_updates_and_a_forged_key_changes_nothing(world_a, cap, client):
    client.force_login(world_a.maintainer)
    for message in ("Lag on eu-1", "Still lagging"):
        data = {"status": "degraded", "message": message, "submission_key": str(uuid.uuid4())}
        assert client.post(status_url(world_a), data).status_code == 302
    assert counts(world_a) == (2, 2)
    bad = client.post(status_url(world_a), {"status": "degraded", "message": "x", "submission_key": "nope"})
    assert bad.status_code == 400 and "reload the page" in bad.content.decode()
    assert counts(world_a) == (2, 2)


def test_service_returns_the_earlier_update_for_a_repeated_key(world_a, cap):
    key = uuid.uuid4()
    with tenant_context(world_a.tenant):
        first = services.status_update_post(
            capability=cap, status="degraded", message="a", submission_key=key
        )
        again = services.status_update_post(
            capability=cap, status="degraded", message="a", submission_key=key
        )
    assert again.pk == first.pk
    assert counts(world_a) == (1, 1)
