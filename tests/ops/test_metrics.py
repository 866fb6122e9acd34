"""/metrics: off by default, token and network protection, request metrics and Agora's own numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from portal.events.services import event_emit
from portal.notifications.models import Delivery
from portal.tenancy.context import tenant_context
from tests.notifications.helpers import publish, subscribers

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token"


def samples(body: bytes) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(client, **headers):
    return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"} | headers)


def test_metrics_are_off_without_token_or_networks(client):
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[]):
        assert client.get("/metrics").status_code == 404
        assert scrape(client).status_code == 404


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[])
def test_a_missing_or_wrong_token_is_refused_with_401(client):
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert b"agora_" not in missing.content


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[])
def test_the_right_token_gets_request_metrics_by_view(client, world_a):
    client.get("/healthz")
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    found = samples(response.content)
    latency = [k for k in found if k[0] == "django_http_requests_latency_seconds_by_view_method_count"]
    assert (
        "django_http_requests_latency_seconds_by_view_method_count",
        (("method", "GET"), ("view", "healthz")),
    ) in latency
    assert (
        found[
            (
                "django_http_responses_total_by_status_view_method_total",
                (("method", "GET"), ("status", "200"), ("view", "healthz")),
            )
        ]
        >= 1
    )
    assert found[("agora_metrics_database_up", ())] == 1


def test_network_allowlist_is_checked_against_remote_addr(client):
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"]):
        assert client.get("/metrics").status_code == 403  # the test client is 127.0.0.1
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        # X-Forwarded-For is not REMOTE_ADDR: a client cannot claim to be inside.
        assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403
    with override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=["127.0.0.0/8"]):
        assert client.get("/metrics").status_code == 401  # both configured: both must pass
        assert scrape(client).status_code == 200


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[])
def test_agora_metrics_count_across_every_tenant(client, world_a, world_b):
    now = timezone.now()
    for world, channels in ((world_a, ["email", "email", "inbox"]), (world_b, ["email"])):
        notification = publish(world.tenant)  # not fanned out: on_commit does not run in these tests
        with tenant_context(world.tenant):
            Delivery.objects.bulk_create(
                [
                    Delivery(
                        tenant_id=world.tenant.pk,
                        notification=notification,
                        channel=channel,
                        recipient=user,
                        address="x@example.com",
                        next_attempt_at=now - timedelta(minutes=5 if world is world_b else 1),
                    )
                    for channel, user in zip(
                        channels, [world.admin, world.member, world.member], strict=False
                    )
                ]
            )
            Delivery.objects.filter(channel="inbox").update(state="sent")
            event_emit("test.thing_happened", {"n": 1})
    found = samples(scrape(client).content)
    assert found[("agora_deliveries", (("channel", "email"), ("state", "pending")))] == 3
    assert found[("agora_deliveries", (("channel", "inbox"), ("state", "sent")))] == 1
    # The oldest due email (tenant B's, five minutes ago) is the queue age, whichever tenant holds it.
    assert found[("agora_delivery_queue_oldest_age_seconds", (("channel", "email"),))] >= 300
    assert found[("agora_delivery_queue_oldest_age_seconds", (("channel", "inbox"),))] == 0
    assert found[("agora_events_undispatched", ())] >= 2


def test_fan_out_duration_is_observed_when_a_fan_out_does_work(world_a, django_capture_on_commit_callbacks):
    def count() -> float:
        return REGISTRY.get_sample_value("agora_notification_fanout_duration_seconds_count") or 0.0

    subscribers(world_a.tenant, 2)
    before = count()
    with django_capture_on_commit_callbacks(execute=True):
        publish(world_a.tenant)
    assert count() == before + 1
