"""Bad input never gives a 500: NUL characters, huge ids, malformed or stale unsubscribe tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from portal.notifications.models import Subscription
from portal.notifications.tokens import make_token
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.notifications.helpers import publish

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_a_nul_character_in_a_follow_label_is_dropped_not_a_500(world_a, login):
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka")  # following needs a real one
    client = login(world_a.member)
    url = f"/t/{world_a.tenant.slug}/notifications/follow/"
    response = client.post(
        url, {"topic_kind": "capability", "topic_id": kafka.pk, "topic_label": "Ka\x00fka"}
    )
    assert response.status_code == 303
    with tenant_context(world_a.tenant):
        assert Subscription.objects.get(user=world_a.member).topic_label == "Kafka"


@pytest.mark.parametrize(
    "path",
    [f"subscriptions/{HUGE}/", f"inbox/{HUGE}/read/", f"endpoints/{HUGE}/", f"endpoints/{HUGE}/routes/",
     f"routes/{HUGE}/delete/"],
)  # fmt: skip
def test_huge_ids_in_page_urls_are_404(world_a, login, path):
    client = login(world_a.admin)
    assert client.post(f"/t/{world_a.tenant.slug}/notifications/{path}").status_code == 404


def test_huge_ids_in_the_api_are_404_or_400(world_a):
    client = api(world_a, "admin")
    for path in ["subscriptions", "inbox", "channel-endpoints", "channel-routes"]:
        assert client.get(f"/api/v1/{path}/{HUGE}/").status_code == 404
    route = client.post(
        "/api/v1/channel-routes/",
        {"endpoint": int(HUGE), "topic_kind": "tenant"},
        content_type="application/json",
    )
    assert route.status_code == 400


@pytest.mark.parametrize(
    "token",
    ["x", "....", "a.b.c.d", "a.b.c.", ".", "%00", "a.b.\x00.mac", "z" * 5000, "1.1.c1.AAAAAAAAAAAAAAAA"],
)
def test_malformed_unsubscribe_tokens_are_404(token):
    assert Client().post(f"/u/{token}/").status_code == 404
    assert Client().get(f"/u/{token}/").status_code == 404


def test_unsubscribe_token_of_a_deleted_user_is_404(world_a):
    user = get_user_model().objects.create_user("gone", "gone@example.com", "x")
    token = make_token(tenant_id=world_a.tenant.pk, user_id=user.pk, topic_kind="capability", topic_id=3)
    user.delete()
    assert Client().post(f"/u/{token}/").status_code == 404


def test_unsubscribe_token_of_a_user_who_left_the_tenant_is_404(world_a, world_b):
    token = make_token(
        tenant_id=world_b.tenant.pk, user_id=world_a.member.pk, topic_kind="capability", topic_id=3
    )
    assert Client().get(f"/u/{token}/").status_code == 404
    assert Client().post(f"/u/{token}/").status_code == 404
    with tenant_context(world_b.tenant):
        assert not Subscription.objects.exists()


def test_publish_refuses_a_key_longer_than_the_column(world_a):
    with pytest.raises(ValueError, match="200"):
        publish(world_a.tenant, key="k" * 201)


def test_token_format_is_stable_for_links_already_sent():
    token = make_token(tenant_id=36, user_id=71, topic_kind="request", topic_id=0)
    assert token.startswith("10.1z.r0.") and len(token.rsplit(".", 1)[1]) == 16
