"""The board shows open requests unless asked; duplicate suggestions offer a merge target, never a request
closed as a duplicate."""

from __future__ import annotations

import re

import pytest

from portal.tenancy.context import tenant_context
from requests_app.models import FeatureRequest
from requests_app.services.merge import request_merge
from requests_app.services.requests import request_set_status
from tests.catalog.factories import make_capability
from tests.requests_app.factories import make_request, membership

pytestmark = pytest.mark.django_db


def numbers(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'<li class="card request-card" id="request-(\d+)"', html)}


@pytest.fixture
def requests_world(world_a):
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka Topics")
    make_request(world_a.tenant, world_a.member, title="Quota per namespace for topics", capability=kafka)
    make_request(world_a.tenant, world_a.member, title="Namespace quota for kafka topics", capability=kafka)
    make_request(world_a.tenant, world_a.member, title="Declined wish", capability=kafka)
    with tenant_context(world_a.tenant):
        maintainer = membership(world_a.tenant, world_a.maintainer)
        first, second, third = (FeatureRequest.objects.get(number=n) for n in (1, 2, 3))
        request_merge(membership=maintainer, source=second, target=first)
        request_set_status(membership=maintainer, feature_request=third, status="declined", note="No.")
    return world_a


def test_board_defaults_to_open_requests_and_any_shows_all(requests_world, login):
    client = login(requests_world.member)
    board = f"/t/{requests_world.tenant.slug}/requests/"
    default = client.get(board).content.decode()
    assert numbers(default) == {1}
    assert '<option value="open" selected>' in default
    assert numbers(client.get(board + "?status=any").content.decode()) == {1, 2, 3}
    assert numbers(client.get(board + "?status=closed").content.decode()) == {2, 3}


def test_suggestions_offer_the_merge_target_not_the_closed_duplicate(requests_world, login):
    client = login(requests_world.member)
    url = f"/t/{requests_world.tenant.slug}/requests/similar/"
    body = client.get(url, {"title": "kafka namespace quota"}).content.decode()
    assert "#1 Quota per namespace" in body
    assert "#2 " not in body and "Namespace quota for kafka topics" not in body
    assert body.count("#1 Quota per namespace") == 1  # matched itself and through its duplicate: once
