"""/healthz (alive, no database) and /readyz (database, broker, migrations) for probes."""

from __future__ import annotations

import pytest
from django.test import override_settings

from portal.ops import probes

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_200_when_database_and_migrations_are_in_order(client, monkeypatch):
    monkeypatch.setattr(probes, "_migrated", False)
    with override_settings(REDIS_URL=""):
        response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


def test_readyz_is_503_naming_an_unreachable_broker(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": {"broker": "broker unreachable"}}


def test_readyz_is_503_with_unapplied_migrations(client, monkeypatch):
    monkeypatch.setattr(probes, "_migrated", False)

    class PendingPlan(probes.MigrationExecutor):
        def migration_plan(self, targets, clean_start=False):
            return [(self.loader.graph.nodes[("events", "0001_initial")], False)]

    monkeypatch.setattr(probes, "MigrationExecutor", PendingPlan)
    with override_settings(REDIS_URL=""):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == {"migrations": "1 unapplied migration(s)"}


@override_settings(SECURE_SSL_REDIRECT=True, REDIS_URL="")
def test_probes_and_metrics_are_exempt_from_the_https_redirect(client):
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 404  # off, but answered over plain HTTP


@override_settings(ALLOWED_HOSTS=["agora.example.com"], REDIS_URL="", METRICS_TOKEN="t0ken")
def test_probes_answer_a_pod_ip_host_that_allowed_hosts_does_not_name(client):
    """Kubelet and Prometheus call the pod by IP; the host check must not turn probes into 400s."""
    pod = {"HTTP_HOST": "10.1.2.3:8000"}
    assert client.get("/accounts/login/", **pod).status_code == 400
    assert client.get("/healthz", **pod).status_code == 200
    assert client.get("/readyz", **pod).status_code == 200
    assert client.get("/metrics", headers={"Authorization": "Bearer t0ken"}, **pod).status_code == 200
