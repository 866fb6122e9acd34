"""The derived delivery fields, kept exact by set-based UPDATEs: `Deployment.failed`,
`Deployment.recovered_at` and `Change.deployed_at` (definitions in `catalog.insights.metrics`).

Why stored: the metrics are then GROUP BY queries per team and week, and a page never loads events. Why exact
at ingest: a late or out-of-order event changes its neighbours, so `recording` calls `deployment_touched`,
`incident_recorded` or `change_touched` in the event's own transaction; they update only the rows the event
can reach (the deployment, the one just before it in the repository's production sequence, the failures
between the last good deployment before it and it, the changes merged since the previous successful
deployment), each set in one statement, never in a Python loop over history. `derive_all` recomputes every
row (the migration that added the fields, bulk-loaded demo data, `manage.py insights_recompute`).

A repository's production sequence: its production deployments that finished (not pending), ordered by
(finished_at, id). The expressions are built from the model classes given, so the migration can use its
historical models; every subquery is correlated on the tenant as well as the repository (repository names
repeat across tenants, and a migration sees them all).

Concurrent deliveries for one repository take turns (a transaction-scoped advisory lock per tenant and
repository on PostgreSQL; SQLite has one writer at a time anyway): each statement after the lock sees what
the previous delivery committed, so the last one to arrive repairs what the first could not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from catalog.insights.models import Change, Deployment, DeploymentStatus, Incident

Key = tuple[datetime, int]  # a position in a production sequence: (finished_at, id)


def _sequence(manager: Any) -> QuerySet:
    return manager.filter(is_production=True, finished_at__isnull=False).exclude(
        status=DeploymentStatus.PENDING
    )


def _same_repository() -> Q:
    return Q(tenant_id=OuterRef("tenant_id"), repository=OuterRef("repository"))


def _after_outer() -> Q:
    return Q(finished_at__gt=OuterRef("finished_at")) | Q(
        finished_at=OuterRef("finished_at"), pk__gt=OuterRef("pk")
    )


def failed_expression(deployment_model: Any = Deployment, incident_model: Any = Incident) -> Case:
    """Status failure, or the next production deployment of the repository is a remediation, or an incident
    of the same source names it."""
    following = (
        _sequence(deployment_model._base_manager)
        .filter(_same_repository() & _after_outer())
        .order_by("finished_at", "pk")
        .values("is_remediation")[:1]
    )
    named = incident_model._base_manager.filter(
        tenant_id=OuterRef("tenant_id"),
        source_id=OuterRef("source_id"),
        deployment_external_id=OuterRef("external_id"),
    )
    return Case(
        When(
            Q(status=DeploymentStatus.FAILURE)
            | Q(Exists(named))
            | Q(Subquery(following, output_field=BooleanField())),
            then=Value(True),
        ),
        default=Value(False),
    )


def recovered_expression(deployment_model: Any = Deployment) -> Case:
    """For a failed deployment: when the repository's next successful, not failed one finished (run after
    the flags are right: it reads `failed`)."""
    good_after = (
        _sequence(deployment_model._base_manager)
        .filter(_same_repository() & _after_outer(), status=DeploymentStatus.SUCCESS, failed=False)
        .order_by("finished_at", "pk")
        .values("finished_at")[:1]
    )
    return Case(When(failed=True, then=Subquery(good_after)), default=None)


def deployed_expression(deployment_model: Any = Deployment) -> Subquery:
    """When the repository's first successful production deployment at or after the merge finished."""
    return Subquery(
        _sequence(deployment_model._base_manager)
        .filter(_same_repository(), status=DeploymentStatus.SUCCESS, finished_at__gte=OuterRef("merged_at"))
        .order_by("finished_at")
        .values("finished_at")[:1]
    )


# --- At ingest -----------------------------------------------------------------------------------------


def _lock(tenant_id: int, repository: str) -> None:
    """Serialise the derived updates of one repository until the transaction ends (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"agora.insights.delivery:{tenant_id}:{repository}"],
            )


def deployment_touched(row: Deployment, *, before: Key | None, was_success_at: datetime | None) -> None:
    """Keep the derived fields exact after `row` (a production deployment) was created or changed.

    `before`: its position in the sequence before the change (None if it was not in it: new or pending);
    `was_success_at`: its finish time if it was a success before the change (changes may point at it).
    """
    _lock(row.tenant_id, row.repository)
    sequence = _sequence(Deployment.objects).filter(repository=row.repository)
    now_in = row.status != DeploymentStatus.PENDING and row.finished_at is not None
    positions = (before, (row.finished_at, row.pk) if now_in else None)
    keys = list(dict.fromkeys(k for k in positions if k is not None))  # the same one when it did not move
    _rederive(sequence, keys=keys, touched={row.pk} if now_in else set())
    changes = Change.objects.filter(repository=row.repository)
    if was_success_at is not None and (
        row.status != DeploymentStatus.SUCCESS or row.finished_at != was_success_at
    ):
        # It no longer is the deployment that shipped these changes at that time: find theirs again.
        changes.filter(deployed_at=was_success_at, merged_at__lte=was_success_at).update(
            deployed_at=deployed_expression()
        )
    if now_in and row.status == DeploymentStatus.SUCCESS:
        finished = row.finished_at
        # Changes merged before the previous success were shipped by it (or earlier): out of reach.
        previous = (
            sequence.filter(status=DeploymentStatus.SUCCESS, finished_at__lt=finished)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
        reach = changes.filter(merged_at__lte=finished)
        if previous is not None:
            reach = reach.filter(merged_at__gt=previous)
        reach.filter(Q(deployed_at__isnull=True) | Q(deployed_at__gt=finished)).update(deployed_at=finished)


def incident_recorded(incident: Incident) -> None:
    """An incident naming a deployment makes it failed (and moves the recoveries around it)."""
    if not incident.deployment_external_id:
        return
    # Locked before the look-up: a deployment being recorded at the same moment either is visible after
    # the lock, or takes the lock after this commits and then sees the incident.
    _lock(incident.tenant_id, incident.repository)
    named = (
        _sequence(Deployment.objects)
        .filter(source_id=incident.source_id, external_id=incident.deployment_external_id)
        .values_list("pk", "finished_at", "repository")
        .first()
    )
    if named is None:  # not known yet, or not a finished production deployment: its own ingest sees it
        return
    pk, finished_at, repository = named
    if repository != incident.repository:
        _lock(incident.tenant_id, repository)
    sequence = _sequence(Deployment.objects).filter(repository=repository)
    _rederive(sequence, keys=[(finished_at, pk)], touched={pk}, previous=False)


def change_touched(row: Change) -> None:
    """A change created or with an earlier merge: find its deployment."""
    _lock(row.tenant_id, row.repository)
    Change.objects.filter(pk=row.pk).update(deployed_at=deployed_expression())


def _rederive(sequence: QuerySet, *, keys: list[Key], touched: set[int], previous: bool = True) -> None:
    """Recompute the flags of `touched` and of the deployment just before each position in `keys` (its next
    deployment may have changed), then `recovered_at` of every failure a change at those positions can
    reach: those from the last good deployment before the earliest position up to the latest one."""
    if not keys:
        return
    flagged = set(touched)
    times = [at for at, _ in keys]
    if previous:
        for at, pk in keys:
            found = (
                sequence.filter(Q(finished_at__lt=at) | Q(finished_at=at, pk__lt=pk))
                .exclude(pk=pk)
                .order_by("-finished_at", "-pk")
                .values_list("pk", "finished_at")
                .first()
            )
            if found is not None:
                flagged.add(found[0])
                times.append(found[1])
    sequence.filter(pk__in=flagged).update(failed=failed_expression())
    earliest, latest = min(times), max(times)
    last_good = (
        sequence.filter(status=DeploymentStatus.SUCCESS, failed=False, finished_at__lt=earliest)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    reach = Q(failed=True, finished_at__lte=latest)
    if last_good is not None:
        reach &= Q(finished_at__gte=last_good)
    sequence.filter(reach | Q(pk__in=flagged)).update(recovered_at=recovered_expression())


# --- Everything again ----------------------------------------------------------------------------------


def derive_all(
    *,
    tenant_id: int,
    repositories: Iterable[str] | None = None,
    models: tuple[Any, Any, Any] = (Deployment, Change, Incident),
) -> None:
    """Recompute the derived fields of one tenant's rows (of `repositories`, or all): three statements."""
    deployment_model, change_model, incident_model = models
    deployments = _sequence(deployment_model._base_manager).filter(tenant_id=tenant_id)
    changes = change_model._base_manager.filter(tenant_id=tenant_id)
    if repositories is not None:
        names = sorted(set(repositories))
        deployments, changes = deployments.filter(repository__in=names), changes.filter(repository__in=names)
    deployments.update(failed=failed_expression(deployment_model, incident_model))
    deployments.update(recovered_at=recovered_expression(deployment_model))
    changes.update(deployed_at=deployed_expression(deployment_model))
