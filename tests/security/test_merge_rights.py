"""Merging A into B changes B (votes, followers, tags, history): it needs triage rights on both requests.

A maintainer of A's team only is refused (403 on the API, a form error with 403 on the page, 422 for htmx)
and nothing changes on either request; a maintainer of both teams and a tenant admin merge.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from portal.accounts.models import TeamMembership, TeamRole
from portal.notifications.models import Subscription
from portal.tenancy.context import tenant_context
from requests_app import services
from requests_app.models import FeatureRequest, RequestTag, StatusChange, Vote
from tests.catalog.factories import make_capability
from tests.factories import make_team
from tests.requests_app.factories import make_members, make_request, membership, vote

pytestmark = pytest.mark.django_db
JSON = "application/json"
HTMX = {"HX-Request": "true"}


@dataclass
class Pair:
    source: FeatureRequest  # on the world's team's capability: the world's maintainer triages it
    target: FeatureRequest  # on another team's capability
    loose: FeatureRequest  # on no capability: tenant admins triage it


@pytest.fixture
def pair(world_a) -> Pair:
    ours = make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka-topics")
    other_team = make_team(world_a.tenant, "dns-team")
    theirs = make_capability(world_a.tenant, other_team, name="Managed DNS", slug="managed-dns")
    source = make_request(world_a.tenant, world_a.member, title="Kafka quota self-service", capability=ours)
    target = make_request(
        world_a.tenant, world_a.admin, title="DNS record self-service", capability=theirs, tags=["dns"]
    )
    loose = make_request(world_a.tenant, world_a.admin, title="A request about nothing in particular")
    (voter,) = make_members(world_a.tenant, 1)
    vote(world_a.tenant, voter, source)
    with tenant_context(world_a.tenant):
        RequestTag.objects.create(request=source, name="quotas", tenant_id=source.tenant_id)
    return Pair(source=source, target=target, loose=loose)


def snapshot(world, *requests: FeatureRequest) -> list[tuple]:
    """Everything a merge writes, per request: status, counts, voters, followers, tags, history."""
    rows = []
    with tenant_context(world.tenant):
        for r in requests:
            fresh = FeatureRequest.objects.get(pk=r.pk)
            rows.append(
                (
                    fresh.status,
                    fresh.duplicate_of_id,
                    fresh.vote_count,
                    sorted(Vote.objects.filter(request=r).values_list("user_id", flat=True)),
                    sorted(
                        Subscription.objects.filter(topic_kind="request", topic_id=r.pk).values_list(
                            "user_id", "active"
                        )
                    ),
                    sorted(RequestTag.objects.filter(request=r).values_list("name", flat=True)),
                    StatusChange.objects.filter(request=r).count(),
                )
            )
    return rows


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def page_url(world, number: int) -> str:
    return f"/t/{world.tenant.slug}/requests/{number}/merge/"


def make_maintainer_of_target_team(world, pair: Pair) -> None:
    with tenant_context(world.tenant):
        team_id = pair.target.capability.owner_team_id
        TeamMembership.objects.create(
            tenant=world.tenant, team_id=team_id, user=world.maintainer, role=TeamRole.MAINTAINER
        )


# -- refused ------------------------------------------------------------------------------------------------


def test_api_refuses_a_maintainer_of_the_source_only(world_a, pair):
    before = snapshot(world_a, pair.source, pair.target)
    response = api(world_a, "maintainer").post(
        f"/api/v1/requests/{pair.source.number}/merge/", {"into": pair.target.number}, content_type=JSON
    )
    assert response.status_code == 403, response.content
    assert f"#{pair.target.number}" in response.json()["error"]["detail"]
    assert snapshot(world_a, pair.source, pair.target) == before


def test_api_refuses_merging_into_a_request_without_capability_for_a_team_maintainer(world_a, pair):
    before = snapshot(world_a, pair.source, pair.loose)
    response = api(world_a, "maintainer").post(
        f"/api/v1/requests/{pair.source.number}/merge/", {"into": pair.loose.number}, content_type=JSON
    )
    assert response.status_code == 403, response.content
    assert snapshot(world_a, pair.source, pair.loose) == before


def test_page_refuses_a_maintainer_of_the_source_only_with_a_form_error(world_a, pair, login):
    before = snapshot(world_a, pair.source, pair.target)
    client = login(world_a.maintainer)
    response = client.post(page_url(world_a, pair.source.number), {"into": f"#{pair.target.number}"})
    assert response.status_code == 403
    html = response.content.decode()
    assert f"You cannot merge into #{pair.target.number}" in html and 'id="merge-into"' in html
    partial = client.post(page_url(world_a, pair.source.number), {"into": pair.target.number}, headers=HTMX)
    assert partial.status_code == 422  # htmx swaps 422 into the page; it would drop a 403
    assert f"You cannot merge into #{pair.target.number}" in partial.content.decode()
    assert snapshot(world_a, pair.source, pair.target) == before


# -- allowed ------------------------------------------------------------------------------------------------


def test_api_lets_a_maintainer_of_both_teams_merge(world_a, pair):
    make_maintainer_of_target_team(world_a, pair)
    response = api(world_a, "maintainer").post(
        f"/api/v1/requests/{pair.source.number}/merge/", {"into": pair.target.number}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    source, target = snapshot(world_a, pair.source, pair.target)
    assert source[0] == "duplicate" and source[1] == pair.target.pk
    assert target[2] == 3 and target[5] == ["dns", "quotas"]  # admin (its author), member (A's), voter


def test_page_lets_a_maintainer_of_both_teams_merge(world_a, pair, login):
    make_maintainer_of_target_team(world_a, pair)
    response = login(world_a.maintainer).post(
        page_url(world_a, pair.source.number), {"into": pair.target.number}
    )
    assert response.status_code == 302
    source, target = snapshot(world_a, pair.source, pair.target)
    assert source[0] == "duplicate" and target[2] == 3


def test_tenant_admin_merges_across_teams_and_into_requests_without_capability(world_a, pair, login):
    response = api(world_a, "admin").post(
        f"/api/v1/requests/{pair.source.number}/merge/", {"into": pair.target.number}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    page = login(world_a.admin).post(page_url(world_a, pair.target.number), {"into": pair.loose.number})
    assert page.status_code == 302
    source, target, loose = snapshot(world_a, pair.source, pair.target, pair.loose)
    assert source[0] == target[0] == "duplicate" and target[1] == pair.loose.pk
    assert loose[2] == 3  # the admin voted for both; the member and the voter came with #1


def test_the_service_itself_refuses_a_target_the_member_may_not_triage(world_a, pair):
    """Every caller (pages, API, commands) goes through `request_merge`: the rule lives there too."""
    before = snapshot(world_a, pair.source, pair.target)
    with tenant_context(world_a.tenant), pytest.raises(PermissionDenied):
        services.request_merge(
            membership=membership(world_a.tenant, world_a.maintainer), source=pair.source, target=pair.target
        )
    assert snapshot(world_a, pair.source, pair.target) == before
