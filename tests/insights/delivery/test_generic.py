"""Generic JSON delivery events: valid ones stored once, every invalid one 400 with nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from catalog.insights.models import Change, Deployment, Incident
from portal.plugins.api import tenant_context
from tests.insights.delivery.helpers import NOTHING, counts, make_source, post_generic, sign, url_of

pytestmark = pytest.mark.django_db

DEPLOYMENT = {
    "id": "jenkins-4711",
    "type": "deployment",
    "repository": "Acme/Payments-API",
    "environment": "prod",
    "sha": "9f2c1e0",
    "status": "success",
    "started_at": "2025-03-01T12:00:00+01:00",
    "finished_at": "2025-03-01T12:07:30+01:00",
    "remediation": False,
}
CHANGE = {
    "id": "change-1",
    "type": "change",
    "repository": "acme/payments-api",
    "sha": "9f2c1e0",
    "first_commit_at": "2025-02-27T09:00:00Z",
    "merged_at": "2025-03-01T10:00:00Z",
}
INCIDENT = {
    "id": "pd-77",
    "type": "incident",
    "repository": "acme/payments-api",
    "opened_at": "2025-03-01T12:30:00Z",
    "resolved_at": "2025-03-01T13:10:00Z",
    "deployment_id": "jenkins-4711",
}


@pytest.fixture
def src(world_a):
    return make_source(world_a, "generic", "Jenkins")


def test_a_deployment_event_is_stored_and_emits_the_recorded_event(world_a, src):
    source, secret = src
    response = post_generic(source, secret, DEPLOYMENT)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "stored", "rows": 1}
    with tenant_context(world_a.tenant):
        row = Deployment.objects.get()
    assert (row.external_id, row.repository, row.environment) == ("jenkins-4711", "acme/payments-api", "prod")
    assert row.status == "success" and row.is_production and not row.is_remediation
    assert row.created_at == datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
    assert row.finished_at == datetime(2025, 3, 1, 11, 7, 30, tzinfo=UTC)
    assert counts(world_a)["events"] == 1


def test_a_failed_remediation_deployment_emits_nothing(world_a, src):
    source, secret = src
    post_generic(source, secret, DEPLOYMENT | {"status": "failure", "remediation": True, "environment": "qa"})
    with tenant_context(world_a.tenant):
        row = Deployment.objects.get()
    assert row.status == "failure" and row.is_remediation and not row.is_production
    assert counts(world_a)["events"] == 0


def test_change_and_incident_events(world_a, src):
    source, secret = src
    assert post_generic(source, secret, CHANGE).status_code == 200
    assert (
        post_generic(source, secret, CHANGE | {"id": "change-2", "first_commit_at": None}).status_code == 200
    )
    assert post_generic(source, secret, INCIDENT).status_code == 200
    assert post_generic(source, secret, INCIDENT | {"id": "pd-78", "resolved_at": None}).status_code == 200
    with tenant_context(world_a.tenant):
        first, second = Change.objects.order_by("external_id")
        incident, open_one = Incident.objects.order_by("external_id")
    assert first.first_commit_at == datetime(2025, 2, 27, 9, 0, tzinfo=UTC) and first.sha == "9f2c1e0"
    assert second.first_commit_at is None
    assert incident.deployment_external_id == "jenkins-4711"
    assert incident.resolved_at == datetime(2025, 3, 1, 13, 10, tzinfo=UTC)
    assert open_one.resolved_at is None


def test_the_same_id_again_is_a_redelivery(world_a, src):
    source, secret = src
    post_generic(source, secret, CHANGE)
    before = counts(world_a)
    again = post_generic(source, secret, CHANGE | {"merged_at": "2030-01-01T00:00:00Z"})
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert counts(world_a) == before
    with tenant_context(world_a.tenant):
        assert Change.objects.get().merged_at.year == 2025


INVALID = {
    "unknown type": DEPLOYMENT | {"type": "release"},
    "type missing": {k: v for k, v in DEPLOYMENT.items() if k != "type"},
    "type not a string": DEPLOYMENT | {"type": ["deployment"]},
    "id missing": {k: v for k, v in DEPLOYMENT.items() if k != "id"},
    "id a number": DEPLOYMENT | {"id": 4711},
    "id too long": DEPLOYMENT | {"id": "x" * 101},
    "repository not owner/name": DEPLOYMENT | {"repository": "payments-api"},
    "repository with spaces": DEPLOYMENT | {"repository": "acme/pay ments"},
    "naive timestamp": DEPLOYMENT | {"started_at": "2025-03-01T12:00:00"},
    "date only": DEPLOYMENT | {"finished_at": "2025-03-01"},
    "timestamp a number": DEPLOYMENT | {"started_at": 1740830400},
    "not a time": DEPLOYMENT | {"started_at": "yesterday"},
    "missing finished_at": {k: v for k, v in DEPLOYMENT.items() if k != "finished_at"},
    "finished before started": DEPLOYMENT | {"finished_at": "2025-03-01T11:00:00+01:00"},
    "status unknown": DEPLOYMENT | {"status": "ok"},
    "remediation a string": DEPLOYMENT | {"remediation": "true"},
    "remediation a number": DEPLOYMENT | {"remediation": 1},
    "environment a number": DEPLOYMENT | {"environment": 3},
    "unknown field": DEPLOYMENT | {"finshed_at": "2025-03-01T12:07:30+01:00"},
    "change without merged_at": {k: v for k, v in CHANGE.items() if k != "merged_at"},
    "change naive first commit": CHANGE | {"first_commit_at": "2025-02-27 09:00"},
    "incident without opened_at": {k: v for k, v in INCIDENT.items() if k != "opened_at"},
    "incident resolved before opened": INCIDENT | {"resolved_at": "2025-03-01T12:00:00Z"},
    "incident deployment id a number": INCIDENT | {"deployment_id": 4711},
    "a list": [DEPLOYMENT],
    "a string": "deployment",
    "null": None,
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_each_invalid_event_is_400_with_a_reason_and_stores_nothing(world_a, src, case):
    source, secret = src
    response = post_generic(source, secret, INVALID[case])
    assert response.status_code == 400, (case, response.content)
    body = response.json()
    assert body["error"] == "Not a valid delivery event." and body["detail"], body
    assert counts(world_a) == NOTHING


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000])
def test_a_body_that_is_not_json_is_400_and_stores_nothing(world_a, src, raw):
    source, secret = src
    response = post_generic(source, secret, None, raw=raw)
    assert response.status_code == 400, response.content[:200]
    assert response.json()["error"] == "The body is not valid JSON."
    assert counts(world_a) == NOTHING


def test_a_nul_character_is_400_and_stores_nothing(world_a, src):
    source, secret = src
    response = post_generic(source, secret, DEPLOYMENT | {"environment": "prod\x00"})
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
    assert counts(world_a) == NOTHING


def test_a_body_over_the_cap_is_refused_before_parsing(world_a, src):
    source, secret = src
    event = DEPLOYMENT | {"sha": "x" * (1024 * 1024)}
    response = post_generic(source, secret, event)
    assert response.status_code == 413
    assert "larger than 1024 KiB" in response.json()["error"]
    assert counts(world_a) == NOTHING


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha256=deadbeef", "0" * 64])
def test_a_missing_or_bad_signature_is_401_and_stores_nothing(world_a, src, signature):
    source, _secret = src
    body = json.dumps(DEPLOYMENT).encode()
    headers = {} if signature is None else {"X-Agora-Signature-256": signature}
    response = Client().post(url_of(source), data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert counts(world_a) == NOTHING


def test_the_github_header_does_not_sign_a_generic_event(world_a, src):
    source, secret = src
    body = json.dumps(DEPLOYMENT).encode()
    headers = {"X-Hub-Signature-256": sign(secret, body)}
    assert (
        Client().post(url_of(source), data=body, content_type="application/json", headers=headers).status_code
        == 401
    )


def test_unknown_key_disabled_source_and_get_are_refused(world_a, src):
    from catalog.insights.delivery import services

    source, secret = src
    body = json.dumps(DEPLOYMENT).encode()
    headers = {"X-Agora-Signature-256": sign(secret, body)}
    client = Client()
    assert (
        client.post(
            f"/pub/insights/ingest/{world_a.tenant.slug}/nope/",
            data=body,
            content_type="application/json",
            headers=headers,
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/pub/insights/ingest/no-such-tenant/{source.key}/",
            data=body,
            content_type="application/json",
            headers=headers,
        ).status_code
        == 404
    )
    assert client.get(url_of(source)).status_code == 405
    with tenant_context(world_a.tenant):
        services.source_update(source=source, enabled=False)
    assert post_generic(source, secret, DEPLOYMENT).status_code == 404
    assert counts(world_a) == NOTHING
