"""Following a capability names it: it must exist for the person, or it answers 404 and writes nothing.

Another tenant's capability, a team-restricted one the person is not shown, and an id never handed out
look the same (404, no Subscription or ChannelRoute row) on the follow button (plain and htmx), the
subscriptions API, and a team channel's routes (page and API). The core checks through the `visible` hook
the catalog registers (`notification_topic_register`); it imports no catalog code.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from portal.notifications import services
from portal.notifications.models import ChannelEndpoint, ChannelRoute, Subscription
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db
JSON = "application/json"
HTMX = {"HX-Request": "true"}
MISSING = 2**40  # a positive id no capability has


@dataclass
class Topics:
    visible: int  # world_a, tenant-wide visibility
    hidden: int  # world_a, shown to a team the world's member and maintainer are not in
    foreign: int  # world_b's


@pytest.fixture
def topics(world_a, world_b) -> Topics:
    visible = make_capability(world_a.tenant, world_a.team, name="Kafka Topics", slug="kafka-topics")
    secret_team = make_team(world_a.tenant, "secret-team")
    hidden = make_capability(
        world_a.tenant, secret_team, name="Secret Beta", slug="secret-beta",
        visibility="teams", visible_to_teams=[secret_team],
    )  # fmt: skip
    foreign = make_capability(world_b.tenant, world_b.team, name="Beta Kafka", slug="beta-kafka")
    return Topics(visible=visible.pk, hidden=hidden.pk, foreign=foreign.pk)


UNKNOWN = ["hidden", "foreign", "missing"]


def topic_id(topics: Topics, which: str) -> int:
    return MISSING if which == "missing" else getattr(topics, which)


def subscriptions(world) -> list[tuple[str, int]]:
    with tenant_context(world.tenant):
        return list(Subscription.objects.values_list("topic_kind", "topic_id"))


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def follow_url(world) -> str:
    return f"/t/{world.tenant.slug}/notifications/follow/"


# -- following ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", UNKNOWN)
def test_follow_page_answers_404_for_a_capability_the_member_cannot_see(world_a, topics, login, which):
    client = login(world_a.member)
    data = {"topic_kind": "capability", "topic_id": str(topic_id(topics, which)), "topic_label": "x"}
    plain = client.post(follow_url(world_a), data)
    partial = client.post(follow_url(world_a), data, headers=HTMX)
    assert (plain.status_code, partial.status_code) == (404, 404)
    assert plain.content.decode() == "No such capability."  # one answer for all three: nothing revealed
    assert subscriptions(world_a) == []


@pytest.mark.parametrize("which", UNKNOWN)
def test_subscriptions_api_answers_404_for_a_capability_the_member_cannot_see(world_a, topics, which):
    response = api(world_a, "member").post(
        "/api/v1/subscriptions/",
        {"topic_kind": "capability", "topic_id": topic_id(topics, which)},
        content_type=JSON,
    )
    assert response.status_code == 404, response.content
    assert response.json()["error"]["detail"] == "No such capability."
    assert subscriptions(world_a) == []


def test_a_visible_capability_is_followed_on_the_page_and_the_api(world_a, topics, login):
    page = login(world_a.member).post(
        follow_url(world_a), {"topic_kind": "capability", "topic_id": str(topics.visible)}, headers=HTMX
    )
    assert page.status_code == 200 and 'aria-pressed="true"' in page.content.decode()
    created = api(world_a, "viewer").post(
        "/api/v1/subscriptions/", {"topic_kind": "capability", "topic_id": topics.visible}, content_type=JSON
    )
    assert created.status_code == 201, created.content
    assert created.json()["label"] == "Kafka Topics"  # named by the catalog's label hook
    assert subscriptions(world_a) == [("capability", topics.visible)] * 2


def test_the_hidden_capability_is_followed_by_the_tenant_admin(world_a, topics):
    response = api(world_a, "admin").post(
        "/api/v1/subscriptions/", {"topic_kind": "capability", "topic_id": topics.hidden}, content_type=JSON
    )
    assert response.status_code == 201, response.content
    assert subscriptions(world_a) == [("capability", topics.hidden)]


# -- team channel routes ------------------------------------------------------------------------------------


@pytest.fixture
def endpoint(world_a) -> ChannelEndpoint:
    with tenant_context(world_a.tenant):
        return services.endpoint_create(
            team=world_a.team,
            kind="teams",
            name="r",
            url="https://prod-00.westus.logic.azure.com/workflows/r",
        )[0]


def routes(world) -> list[int]:
    with tenant_context(world.tenant):
        return list(ChannelRoute.objects.values_list("topic_id", flat=True))


@pytest.mark.parametrize("which", UNKNOWN)
def test_routes_answer_404_for_a_capability_the_maintainer_cannot_see(
    world_a, topics, endpoint, login, which
):
    data = {"topic_kind": "capability", "topic_id": topic_id(topics, which), "releases": "on"}
    page = login(world_a.maintainer).post(
        f"/t/{world_a.tenant.slug}/notifications/endpoints/{endpoint.pk}/routes/", data
    )
    assert page.status_code == 404 and "No such capability." in page.content.decode()
    response = api(world_a, "maintainer").post(
        "/api/v1/channel-routes/",
        {"endpoint": endpoint.pk, "topic_kind": "capability", "topic_id": topic_id(topics, which)},
        content_type=JSON,
    )
    assert response.status_code == 404, response.content
    assert routes(world_a) == []


def test_routes_accept_a_visible_capability(world_a, topics, endpoint, login):
    page = login(world_a.maintainer).post(
        f"/t/{world_a.tenant.slug}/notifications/endpoints/{endpoint.pk}/routes/",
        {"topic_kind": "capability", "topic_id": topics.visible, "releases": "on"},
    )
    assert page.status_code == 303
    assert routes(world_a) == [topics.visible]


# -- requests on capabilities the member cannot see ------------------------------------------------------


def test_following_a_request_on_a_hidden_capability_answers_404_and_leaks_no_title(world_a, topics, login):
    from requests_app.models import FeatureRequest
    from tests.requests_app.factories import make_request

    with tenant_context(world_a.tenant):
        hidden_capability = type(world_a.team).objects.get(slug="secret-team").capabilities.get()
    hidden = make_request(
        world_a.tenant, world_a.admin, title="Secret roadmap item", capability=hidden_capability
    )
    shown = make_request(world_a.tenant, world_a.admin, title="Public wish")
    client = login(world_a.member)

    def mine() -> list[tuple[str, int]]:  # the authors follow their own requests: only the member's count
        with tenant_context(world_a.tenant):
            return list(
                Subscription.objects.filter(user=world_a.member).values_list("topic_kind", "topic_id")
            )

    refused = client.post(
        follow_url(world_a), {"topic_kind": "request", "topic_id": str(hidden.pk), "topic_label": "x"}
    )
    assert refused.status_code == 404 and "Secret roadmap item" not in refused.content.decode()
    assert mine() == []

    accepted = client.post(
        follow_url(world_a), {"topic_kind": "request", "topic_id": str(shown.pk), "topic_label": "x"}
    )
    assert accepted.status_code == 303
    assert mine() == [("request", shown.pk)]
    with tenant_context(world_a.tenant):
        assert FeatureRequest.objects.filter(pk=hidden.pk).exists()  # it exists: only not for this member
