"""`/api/v1/` for subscriptions, channel preferences, endpoints, routes and the inbox."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.notifications.models import Subscription
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability

pytestmark = pytest.mark.django_db


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_subscription_crud_is_personal(world_a):
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka")  # following needs a real one
    viewer = api(world_a, "viewer")
    created = viewer.post(
        "/api/v1/subscriptions/",
        {"topic_kind": "capability", "topic_id": kafka.pk, "status": False},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["releases"] is True and body["status"] is False
    assert [s["id"] for s in viewer.get("/api/v1/subscriptions/").json()["results"]] == [body["id"]]
    assert api(world_a, "member").get(f"/api/v1/subscriptions/{body['id']}/").status_code == 404
    patched = viewer.patch(
        f"/api/v1/subscriptions/{body['id']}/", {"status": True}, content_type="application/json"
    )
    assert patched.json()["status"] is True
    bad = viewer.post(
        "/api/v1/subscriptions/", {"topic_kind": "planet", "topic_id": 1}, content_type="application/json"
    )
    assert bad.status_code == 400 and "topic_kind" in bad.json()["error"]["fields"]
    none = viewer.post(
        "/api/v1/subscriptions/", {"topic_kind": "capability"}, content_type="application/json"
    )
    assert none.status_code == 400
    assert viewer.delete(f"/api/v1/subscriptions/{body['id']}/").status_code == 204
    with tenant_context(world_a.tenant):
        assert not Subscription.objects.exists()


def test_channel_preferences(world_a):
    client = api(world_a, "member")
    rows = {r["channel"]: r["frequency"] for r in client.get("/api/v1/channel-preferences/").json()}
    assert rows == {"email": "immediate", "inbox": "immediate"}
    ok = client.put(
        "/api/v1/channel-preferences/email/", {"frequency": "daily"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["frequency"] == "daily"
    bad = client.put(
        "/api/v1/channel-preferences/inbox/", {"frequency": "weekly"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert client.get("/api/v1/channel-preferences/sms/").status_code == 404


def test_endpoints_url_is_write_only_and_secret_shown_once(world_a):
    kafka = make_capability(world_a.tenant, world_a.team, name="Kafka")  # a route needs a real one
    client = api(world_a, "maintainer")
    url = "https://ci.example.com/hooks/very-secret-path"
    created = client.post(
        "/api/v1/channel-endpoints/",
        {"team": world_a.team.slug, "kind": "webhook", "name": "ci", "url": url},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["signing_secret"] and "very-secret" not in created.content.decode()
    detail = client.get(f"/api/v1/channel-endpoints/{body['id']}/")
    assert "signing_secret" not in detail.json() and "very-secret" not in detail.content.decode()
    assert api(world_a, "member").get(f"/api/v1/channel-endpoints/{body['id']}/").status_code == 404
    refused = api(world_a, "member").post(
        "/api/v1/channel-endpoints/",
        {"team": world_a.team.slug, "kind": "slack", "name": "x", "url": url},
        content_type="application/json",
    )
    assert refused.status_code == 400
    route = client.post(
        "/api/v1/channel-routes/",
        {"endpoint": body["id"], "topic_kind": "capability", "topic_id": kafka.pk},
        content_type="application/json",
    )
    assert route.status_code == 201, route.content
    rotated = client.post(f"/api/v1/channel-endpoints/{body['id']}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["signing_secret"] != body["signing_secret"]


def test_inbox_api_lists_and_marks_read(world_a, django_capture_on_commit_callbacks):
    from tests.notifications.helpers import publish

    with django_capture_on_commit_callbacks(execute=True):
        publish(world_a.tenant, recipient_user_ids=[world_a.member.pk])
    client = api(world_a, "member")
    [item] = client.get("/api/v1/inbox/?unread=1").json()["results"]
    assert item["read"] is False and item["notification"]["title"] == "Kafka 3.7 released"
    assert client.post(f"/api/v1/inbox/{item['id']}/read/").json()["read"] is True
    assert client.get("/api/v1/inbox/?unread=1").json()["results"] == []
    assert api(world_a, "admin").post(f"/api/v1/inbox/{item['id']}/read/").status_code == 404
    # A malformed id is a 404 like an unknown one (it once reached the ORM: ValueError, 500).
    assert client.post("/api/v1/inbox/null,null/read/").status_code == 404
    assert client.get("/api/v1/inbox/null,null/").status_code == 404
