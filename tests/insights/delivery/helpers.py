"""Helpers of the delivery tests: sources, signed posts, row counts per tenant."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from django.test import Client

from catalog.insights.delivery import services
from catalog.insights.models import Change, Deployment, Incident, IngestedDelivery, IngestSource
from portal.plugins.api import Event, tenant_context

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "github-webhooks"


def make_source(
    world, kind: str = "github", name: str | None = None, **extra: Any
) -> tuple[IngestSource, str]:
    with tenant_context(world.tenant):
        issued = services.source_create(name=name or f"{kind} source", kind=kind, **extra)
    return issued.source, issued.secret


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def url_of(source: IngestSource, tenant_slug: str | None = None) -> str:
    return f"/pub/insights/ingest/{tenant_slug or source.tenant.slug}/{source.key}/"


def post_github(
    source: IngestSource,
    secret: str | None,
    body: bytes,
    *,
    event: str,
    delivery: str = "d-1",
    signature: str | None = None,
    content_type: str = "application/json",
):
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    if secret is not None or signature is not None:
        headers["X-Hub-Signature-256"] = signature if signature is not None else sign(secret, body)
    return Client().post(url_of(source), data=body, content_type=content_type, headers=headers)


def post_generic(
    source: IngestSource, secret: str | None, event: Any, *, raw: bytes | None = None, signature=None
):
    body = raw if raw is not None else json.dumps(event).encode()
    headers = {}
    if secret is not None or signature is not None:
        headers["X-Agora-Signature-256"] = signature if signature is not None else sign(secret, body)
    return Client().post(url_of(source), data=body, content_type="application/json", headers=headers)


def example(path: str) -> bytes:
    """The raw bytes of an example payload, unchanged."""
    return (EXAMPLES / path).read_bytes()


def variant(path: str, **changes: Any) -> bytes:
    """An example payload with some top-level keys replaced (our own variant, not the original)."""
    payload = json.loads(example(path))
    payload.update(changes)
    return json.dumps(payload).encode()


def counts(world) -> dict[str, int]:
    with tenant_context(world.tenant):
        return {
            "deliveries": IngestedDelivery.objects.count(),
            "deployments": Deployment.objects.count(),
            "changes": Change.objects.count(),
            "incidents": Incident.objects.count(),
            "events": Event.objects.filter(name="insights.deployment_recorded").count(),
        }


NOTHING = {"deliveries": 0, "deployments": 0, "changes": 0, "incidents": 0, "events": 0}
