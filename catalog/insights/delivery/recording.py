"""Storing what a delivery says: once per delivery id, in one transaction, safe under concurrent deliveries.

`delivery_record` first inserts the `IngestedDelivery` row (unique per source and delivery id): a
redelivery, even one racing the original, hits the unique index and stores nothing. Rows are then upserted
by their external id (an insert in a savepoint; on a unique violation a locked re-read and update), so
GitHub's `deployment` and `deployment_status` may arrive in any order and at the same time.

Deployment outcomes only move forward in the source's time: a finished status older than the one stored
is ignored (out-of-order delivery). When a deployment becomes successful, `insights.deployment_recorded`
is emitted in the same transaction (the adoption concern infers onboarding from it).

Every stored row also brings the derived fields of its neighbours up to date in the same transaction
(`derived`: which deployments failed, when they recovered, when each change was deployed), so that the
metrics read aggregates and a late or out-of-order event is counted as if it had come in time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.insights.delivery import derived
from catalog.insights.delivery.facts import ChangeFact, DeploymentFact, Fact, IncidentFact
from catalog.insights.models import (
    Change,
    Deployment,
    DeploymentStatus,
    Incident,
    IngestedDelivery,
    IngestSource,
    RepoMapping,
)
from portal.plugins.api import event_emit

DEPLOYMENT_RECORDED = "insights.deployment_recorded"


@dataclass(frozen=True)
class Recorded:
    duplicate: bool
    stored: int  # rows created or changed


def production_environments(source: IngestSource) -> set[str]:
    return {e.strip().lower() for e in source.production_environments.split(",") if e.strip()}


def _earliest(*values):
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _deployment(source: IngestSource, fact: DeploymentFact) -> bool:
    try:
        with transaction.atomic():
            row = Deployment.objects.create(
                tenant_id=source.tenant_id,
                source=source,
                external_id=fact.external_id,
                repository=fact.repository,
                environment=fact.environment,
                is_production=fact.environment.lower() in production_environments(source),
                sha=fact.sha,
                status=fact.outcome or DeploymentStatus.PENDING,
                is_remediation=fact.is_remediation,
                created_at=fact.created_at,
                finished_at=fact.finished_at,
            )
        became_success = row.status == DeploymentStatus.SUCCESS
        position, success_at = None, None
    except IntegrityError:  # known already (its other event came first, perhaps at the same moment)
        row = Deployment.objects.select_for_update().get(source=source, external_id=fact.external_id)
        before = (row.status, row.finished_at, row.is_remediation, row.sha)
        finished = row.status != DeploymentStatus.PENDING and row.finished_at is not None
        position = (row.finished_at, row.pk) if finished else None
        success_at = row.finished_at if row.status == DeploymentStatus.SUCCESS else None
        row.is_remediation = row.is_remediation or fact.is_remediation
        row.sha = row.sha or fact.sha
        became_success = False
        if fact.outcome is not None and (row.finished_at is None or fact.finished_at >= row.finished_at):
            became_success = (
                fact.outcome == DeploymentStatus.SUCCESS and row.status != DeploymentStatus.SUCCESS
            )
            row.status, row.finished_at = fact.outcome, fact.finished_at
        if (row.status, row.finished_at, row.is_remediation, row.sha) == before:
            return False
        row.save(update_fields=["status", "finished_at", "is_remediation", "sha"])
    if row.is_production:
        derived.deployment_touched(row, before=position, was_success_at=success_at)
    if became_success:
        event_emit(
            DEPLOYMENT_RECORDED,
            {
                "deployment_id": row.pk,
                "repository": row.repository,
                "environment": row.environment,
                "is_production": row.is_production,
                "finished_at": row.finished_at.isoformat(),
            },
        )
    return True


def _change(source: IngestSource, fact: ChangeFact) -> bool:
    try:
        with transaction.atomic():
            row = Change.objects.create(
                tenant_id=source.tenant_id,
                source=source,
                external_id=fact.external_id,
                repository=fact.repository,
                sha=fact.sha,
                first_commit_at=fact.first_commit_at,
                merged_at=fact.merged_at,
            )
    except IntegrityError:
        pass
    else:
        derived.change_touched(row)
        return True
    # The same change seen twice (a merged pull request and the push of its merge commit): refine it.
    row = Change.objects.select_for_update().get(source=source, external_id=fact.external_id)
    first = _earliest(row.first_commit_at, fact.first_commit_at)
    merged = min(row.merged_at, fact.merged_at)
    if (first, merged) == (row.first_commit_at, row.merged_at):
        return False
    row.first_commit_at, row.merged_at = first, merged
    row.save(update_fields=["first_commit_at", "merged_at"])
    derived.change_touched(row)
    return True


def _incident(source: IngestSource, fact: IncidentFact) -> bool:
    row = Incident.objects.create(
        tenant_id=source.tenant_id,
        source=source,
        external_id=fact.external_id,
        repository=fact.repository,
        opened_at=fact.opened_at,
        resolved_at=fact.resolved_at,
        deployment_external_id=fact.deployment_external_id,
    )
    derived.incident_recorded(row)
    return True


def _apply(source: IngestSource, fact: Fact) -> bool:
    if isinstance(fact, DeploymentFact):
        return _deployment(source, fact)
    if isinstance(fact, ChangeFact):
        return _change(source, fact)
    return _incident(source, fact)


@transaction.atomic
def delivery_record(
    *,
    source: IngestSource,
    delivery_id: str,
    event_type: str,
    facts: list[Fact],
    repository: str = "",
    topics: list[str] | None = None,
) -> Recorded:
    """Store one delivery's facts, or nothing when this delivery id was seen before (by this source)."""
    try:
        with transaction.atomic():
            IngestedDelivery.objects.create(
                tenant_id=source.tenant_id, source=source, delivery_id=delivery_id, event_type=event_type
            )
    except IntegrityError:
        return Recorded(duplicate=True, stored=0)
    stored = sum(1 for fact in facts if _apply(source, fact))
    if repository and topics is not None:
        RepoMapping.objects.filter(repository=repository).exclude(topics=topics).update(topics=topics)
    IngestSource.objects.filter(pk=source.pk).update(last_received_at=timezone.now())
    return Recorded(duplicate=False, stored=stored)
