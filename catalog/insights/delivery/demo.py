"""Demo delivery data: ingest sources, repository mappings and ~20 weeks of deployments, changes, incidents.

Deterministic (a fixed seed per tenant; times relative to now, so the charts always end this week) and
written with `bulk_create`: a few thousand rows in well under a second. No `insights.deployment_recorded`
events are emitted: the adoption demo records its own adoptions.

Teams in `IMPROVING_TEAMS` deliver better from `IMPROVES_FROM_WEEKS_AGO` weeks ago (more frequent, smaller
deployments, shorter lead times, fewer failures); the adoption demo onboards them onto a capability around
then, so the before/after comparison has something to show. The other teams stay as they were, and form
the comparison group.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from catalog.insights.delivery import services
from catalog.insights.models import (
    Change,
    Deployment,
    DeploymentStatus,
    Incident,
    IngestedDelivery,
    IngestSourceKind,
    RepoMapping,
)

WEEKS = 24
IMPROVES_FROM_WEEKS_AGO = 11  # the 8 weeks after onboarding have passed: the Value panel compares them
IMPROVING_TEAMS: dict[str, tuple[str, ...]] = {"acme": ("payments", "checkout"), "globex": ("web",)}

# tenant slug -> [(repository, team slug, topics)]
REPOSITORIES: dict[str, list[tuple[str, str, list[str]]]] = {
    "acme": [
        ("acme/payments-api", "payments", ["java", "kafka"]),
        ("acme/payments-ledger", "payments", ["java", "postgres"]),
        ("acme/checkout-web", "checkout", ["typescript", "helm"]),
        ("acme/checkout-service", "checkout", ["go", "helm"]),
        ("acme/developer-portal", "devex", ["python"]),
        ("acme/log-shipper", "observability", ["go", "splunk"]),
        ("acme/kafka-operator", "streaming", ["go", "kubernetes"]),
        ("acme/secrets-broker", "security", ["rust"]),
    ],
    "globex": [
        ("globex/storefront", "web", ["nextjs", "helm"]),
        ("globex/pipelines", "data", ["python", "airflow"]),
        ("globex/warehouse-loader", "data", ["python"]),
        ("globex/infra-modules", "platform", ["terraform"]),
    ],
}
SOURCES: dict[str, list[tuple[str, str]]] = {
    "acme": [
        ("GitHub acme organisation", IngestSourceKind.GITHUB),
        ("PagerDuty incidents", IngestSourceKind.GENERIC),
    ],
    "globex": [
        ("Globex GitHub Enterprise", IngestSourceKind.GITHUB),
        ("Globex Jenkins jobs", IngestSourceKind.GENERIC),
    ],
}


def _profile(improving: bool, week_start: datetime, cutoff: datetime) -> dict[str, float]:
    """Per repository and week: deployments, lead time (hours, median), failure chance."""
    if improving and week_start >= cutoff:
        return {"deploys": 6.0, "lead_hours": 20.0, "fail": 0.06}
    return {"deploys": 2.5, "lead_hours": 70.0, "fail": 0.2}


def load(*, tenant: Any, teams: dict[str, Any], users: dict[str, Any]) -> None:
    rng = random.Random(f"agora-insights-delivery-{tenant.slug}")
    admin = next((u for u in users.values() if getattr(u, "is_staff", False)), None)
    sources = {
        kind: services.source_create(name=name, kind=kind, user=admin).source
        for name, kind in SOURCES.get(tenant.slug, [])
    }
    github, incidents_source = sources.get(IngestSourceKind.GITHUB), sources.get(IngestSourceKind.GENERIC)
    repos = [(r, teams[t], topics) for r, t, topics in REPOSITORIES.get(tenant.slug, []) if t in teams]
    RepoMapping.objects.bulk_create(
        [RepoMapping(tenant=tenant, repository=r, team=team, topics=topics) for r, team, topics in repos]
    )
    if github is None:
        return
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    cutoff = now - timedelta(weeks=IMPROVES_FROM_WEEKS_AGO)
    improving = set(IMPROVING_TEAMS.get(tenant.slug, ()))
    deployments: list[Deployment] = []
    changes: list[Change] = []
    incidents: list[Incident] = []
    for repository, team, _topics in repos:
        for week in range(WEEKS, 0, -1):
            week_start = now - timedelta(weeks=week)
            profile = _profile(team.slug in improving, week_start, cutoff)
            count = max(0, round(rng.gauss(profile["deploys"], 1.0)))
            for _ in range(count):
                finished = week_start + timedelta(hours=rng.uniform(8, 7 * 24 - 8))
                if finished > now:
                    continue
                sha = f"{rng.getrandbits(160):040x}"
                failed = rng.random() < profile["fail"]
                n = len(deployments)
                deployments.append(
                    Deployment(
                        tenant=tenant,
                        source=github,
                        external_id=f"demo-{n}",
                        repository=repository,
                        environment="production",
                        is_production=True,
                        sha=sha,
                        status=DeploymentStatus.FAILURE if failed else DeploymentStatus.SUCCESS,
                        created_at=finished - timedelta(minutes=rng.uniform(4, 25)),
                        finished_at=finished,
                    )
                )
                if rng.random() < 0.5:
                    staged = finished - timedelta(hours=rng.uniform(1, 6))
                    deployments.append(
                        Deployment(
                            tenant=tenant,
                            source=github,
                            external_id=f"demo-{n}-staging",
                            repository=repository,
                            environment="staging",
                            sha=sha,
                            status=DeploymentStatus.SUCCESS,
                            created_at=staged - timedelta(minutes=8),
                            finished_at=staged,
                        )
                    )
                for c in range(rng.choice((1, 1, 2, 3))):
                    lead = rng.lognormvariate(0, 0.6) * profile["lead_hours"]
                    merged = finished - timedelta(hours=min(lead * 0.3, 48), minutes=10 + c)
                    changes.append(
                        Change(
                            tenant=tenant,
                            source=github,
                            external_id=f"demo-{n}-{c}",
                            repository=repository,
                            sha=sha if c == 0 else f"{rng.getrandbits(160):040x}",
                            first_commit_at=finished - timedelta(hours=lead),
                            merged_at=merged,
                        )
                    )
                if failed:
                    recovered = finished + timedelta(minutes=rng.uniform(20, 600))
                    if recovered <= now:
                        deployments.append(
                            Deployment(
                                tenant=tenant,
                                source=github,
                                external_id=f"demo-{n}-rollback",
                                repository=repository,
                                environment="production",
                                is_production=True,
                                sha=f"{rng.getrandbits(160):040x}",
                                status=DeploymentStatus.SUCCESS,
                                is_remediation=True,
                                created_at=recovered - timedelta(minutes=5),
                                finished_at=recovered,
                            )
                        )
                    if incidents_source is not None and rng.random() < 0.5:
                        incidents.append(
                            Incident(
                                tenant=tenant,
                                source=incidents_source,
                                external_id=f"demo-incident-{n}",
                                repository=repository,
                                opened_at=finished + timedelta(minutes=rng.uniform(2, 15)),
                                resolved_at=recovered if recovered <= now else None,
                            )
                        )
    Deployment.objects.bulk_create(deployments, batch_size=1000)
    # The deliveries that carried them (what makes a redelivery a no-op), one per deployment outcome.
    IngestedDelivery.objects.bulk_create(
        [
            IngestedDelivery(
                tenant=tenant,
                source=d.source,
                delivery_id=f"{d.external_id}-status",
                event_type="deployment_status",
            )
            for d in deployments
        ],
        batch_size=1000,
    )
    Change.objects.bulk_create(changes, batch_size=1000)
    Incident.objects.bulk_create(incidents, batch_size=1000)
    # Bulk rows skip ingest: derive failed / recovered_at / deployed_at the way ingest keeps them.
    from catalog.insights.delivery.derived import derive_all

    derive_all(tenant_id=tenant.pk)
