"""Adoption inferred from ingested deployments (handler of `insights.deployment_recorded`).

A capability's `AdoptionRule` says what counts as using it: a deployment to its `environment` (names compared
case-insensitively), or a production deployment of a repository carrying its `repo_topic`. A matching,
successful deployment onboards the team the repository maps to (`RepoMapping`), effective at the deployment's
finish time, recorded by nobody (`source=inferred`), unless:

- the team is onboarded already (so a handler that runs twice, or a thousand deployments, record one move);
- the team was offboarded: leaving is a person's decision and inference does not overrule it (a maintainer
  records a new onboarding when the team comes back);
- the team is not eligible (by default the owner team deploying its own capability is not an adopter).

Deployments and repository mappings are read only; the delivery concern owns them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from catalog.insights.adoption.services import eligible_team_ids, move_locked
from catalog.insights.models import (
    Adoption,
    AdoptionRule,
    AdoptionState,
    Deployment,
    DeploymentStatus,
    RepoMapping,
)
from catalog.insights.models.adoption import AdoptionSource
from portal.plugins.api import Event

EVENT = "insights.deployment_recorded"


def _when(payload: dict[str, Any], deployment: Deployment | None) -> datetime:
    """The deployment's own finish time; never in the future (a source's clock may run ahead of ours)."""
    when = None
    if deployment is not None:
        when = deployment.finished_at or deployment.created_at
    if when is None and isinstance(payload.get("finished_at"), str):
        when = parse_datetime(payload["finished_at"])
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when, timezone.UTC)
    now = timezone.now()
    return now if when is None or when > now else when


def adoption_infer_from_deployment(
    *, deployment_id: int | None, repository: str, environment: str, is_production: bool, finished_at: Any
) -> list[int]:
    """Onboard the deploying team to every capability whose rule matches; returns the capability ids moved."""
    deployment = Deployment.objects.filter(pk=deployment_id).first() if deployment_id else None
    if deployment is not None:
        if deployment.status != DeploymentStatus.SUCCESS:
            return []
        repository, environment = deployment.repository, deployment.environment
        is_production = deployment.is_production
    repository, environment = (repository or "").strip().lower(), (environment or "").strip()
    mapping = RepoMapping.objects.select_related("team").filter(repository=repository).first()
    if mapping is None:
        return []
    topics = [str(t).lower() for t in (mapping.topics or []) if isinstance(t, str) and t]
    matches = Q(environment__iexact=environment) if environment else Q(pk__in=[])
    if topics and is_production:
        matches |= Q(repo_topic__in=topics)
    rules = list(
        AdoptionRule.objects.filter(matches)
        .exclude(environment="", repo_topic="")
        .select_related("capability")
    )
    if not rules:
        return []
    when = _when({"finished_at": finished_at}, deployment)
    done = set(
        Adoption.objects.filter(
            team_id=mapping.team_id,
            capability_id__in=[r.capability_id for r in rules],
            state__in=[AdoptionState.ONBOARDED, AdoptionState.OFFBOARDED],
        ).values_list("capability_id", flat=True)
    )
    moved = []
    for rule in rules:
        if rule.capability_id in done:
            continue
        if mapping.team_id not in eligible_team_ids(rule.capability, rule):
            continue
        with transaction.atomic():
            current = (
                Adoption.objects.select_for_update()
                .filter(capability_id=rule.capability_id, team_id=mapping.team_id)
                .first()
            )
            if current is not None and current.state == AdoptionState.OFFBOARDED:
                continue  # offboarded meanwhile: a person's decision stands
            change = move_locked(
                capability=rule.capability,
                team=mapping.team,
                state=AdoptionState.ONBOARDED,
                effective_at=when,
                source=AdoptionSource.INFERRED,
                user=None,
                note=f"Inferred from a deployment of {repository} to {environment or 'production'}.",
                eligible=None,
                quiet_if_done=True,
            )
        if change is not None:
            moved.append(rule.capability_id)
    return moved


def on_deployment_recorded(event: Event) -> None:
    """Event handler: the dispatcher runs it in the event's tenant, inside a transaction."""
    payload = event.payload or {}
    deployment_id = payload.get("deployment_id")
    adoption_infer_from_deployment(
        deployment_id=deployment_id if isinstance(deployment_id, int) else None,
        repository=str(payload.get("repository") or ""),
        environment=str(payload.get("environment") or ""),
        is_production=bool(payload.get("is_production")),
        finished_at=payload.get("finished_at"),
    )
