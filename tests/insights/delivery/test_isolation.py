"""The public ingest URL can never write into another tenant (the route is outside the matrix: it is tried
here). The slug chooses the tenant, the key is looked up under that tenant's row-level security."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.insights.delivery.helpers import NOTHING, counts, example, make_source, sign
from tests.insights.delivery.test_generic import DEPLOYMENT

pytestmark = pytest.mark.django_db


def _post(url: str, body: bytes, headers: dict) -> int:
    return Client().post(url, data=body, content_type="application/json", headers=headers).status_code


def test_a_source_key_of_tenant_a_under_tenant_b_slug_is_404_and_writes_nowhere(world_a, world_b):
    source, secret = make_source(world_a, "generic", "Jenkins")
    make_source(world_b, "generic", "Jenkins")  # B has sources too: the key must still not be found there
    body = json.dumps(DEPLOYMENT).encode()
    headers = {"X-Agora-Signature-256": sign(secret, body)}
    assert _post(f"/pub/insights/ingest/{world_b.tenant.slug}/{source.key}/", body, headers) == 404
    assert counts(world_a) == NOTHING and counts(world_b) == NOTHING
    # Control: the very same request under A's own slug is stored, in A only.
    assert _post(f"/pub/insights/ingest/{world_a.tenant.slug}/{source.key}/", body, headers) == 200
    assert counts(world_a)["deployments"] == 1 and counts(world_b) == NOTHING


def test_tenant_b_secret_does_not_sign_for_tenant_a_source(world_a, world_b):
    source_a, _ = make_source(world_a, "github", "GitHub")
    _, secret_b = make_source(world_b, "github", "GitHub")
    body = example("deployment/payload.json")
    headers = {
        "X-Hub-Signature-256": sign(secret_b, body),
        "X-GitHub-Event": "deployment",
        "X-GitHub-Delivery": "1",
    }
    assert _post(f"/pub/insights/ingest/{world_a.tenant.slug}/{source_a.key}/", body, headers) == 401
    assert counts(world_a) == NOTHING and counts(world_b) == NOTHING


def test_a_logged_in_session_of_another_tenant_changes_nothing(world_a, world_b, client, login):
    """Even a browser session scoped to B (the middleware sets B) posts into A only when A's slug is used."""
    source, secret = make_source(world_a, "generic", "Jenkins")
    browser = login(world_b.admin)
    browser.get(f"/t/{world_b.tenant.slug}/")
    body = json.dumps(DEPLOYMENT).encode()
    headers = {"X-Agora-Signature-256": sign(secret, body)}
    url = f"/pub/insights/ingest/{world_a.tenant.slug}/{source.key}/"
    assert browser.post(url, data=body, content_type="application/json", headers=headers).status_code == 200
    assert counts(world_a)["deployments"] == 1 and counts(world_b) == NOTHING
