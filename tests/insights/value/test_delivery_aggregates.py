"""The SQL path (GROUP BY over the derived fields) builds exactly the weeks the per-event reference builds.

A seeded, messy history (failures, remediations, incidents naming deployments, a first commit after its
merge, an incident resolved before it opened, events after `now`, an unmapped repository, a non-production
environment) is stored, its derived fields computed, then read both ways: `delivery_data` with its few
aggregate queries, and `metrics.group_by_team` over per-event records loaded here for the comparison.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from catalog.insights import metrics
from catalog.insights.delivery.derived import derive_all
from catalog.insights.models import Change, Deployment, DeploymentStatus, Incident, IngestSource, RepoMapping
from catalog.insights.value import selectors
from portal.plugins.api import tenant_context
from tests.factories import make_team

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 3, 15, 30, tzinfo=UTC)  # a Wednesday: the current week is partly in the future


def _history(tenant) -> None:
    rng = random.Random(20)
    source = IngestSource.objects.create(name="ci", kind="generic", key="k-agg", secret_encrypted="x")
    teams = [make_team(tenant, f"team-{n}") for n in range(3)]
    repositories = {"acme/a": teams[0], "acme/b": teams[0], "acme/c": teams[1], "acme/d": teams[2]}
    for repository, team in repositories.items():
        RepoMapping.objects.create(repository=repository, team=team)
    deployments, changes, incidents = [], [], []
    for n in range(600):
        repository = rng.choice([*repositories, "other/unmapped"])
        at = NOW - timedelta(minutes=rng.randrange(-3 * 24 * 60, 16 * 7 * 24 * 60))  # some in the future
        status = rng.choice(
            [DeploymentStatus.SUCCESS] * 5 + [DeploymentStatus.FAILURE, DeploymentStatus.PENDING]
        )
        deployments.append(
            Deployment(
                source=source, external_id=f"d{n}", repository=repository,
                environment=rng.choice(["production"] * 6 + ["staging"]), created_at=at,
                is_production=True, status=status,
                finished_at=None if status == DeploymentStatus.PENDING else at,
                is_remediation=rng.random() < 0.1,
            )
        )  # fmt: skip
        deployments[-1].is_production = deployments[-1].environment == "production"
    for n in range(500):
        merged = NOW - timedelta(minutes=rng.randrange(-2 * 24 * 60, 16 * 7 * 24 * 60))
        first = merged - timedelta(minutes=rng.randrange(-90, 30 * 24 * 60)) if rng.random() < 0.8 else None
        changes.append(
            Change(
                source=source, external_id=f"c{n}", repository=rng.choice([*repositories, "other/unmapped"]),
                merged_at=merged, first_commit_at=first,
            )
        )  # fmt: skip
    for n in range(80):
        opened = NOW - timedelta(minutes=rng.randrange(-24 * 60, 16 * 7 * 24 * 60))
        resolved = opened + timedelta(minutes=rng.randrange(-60, 3 * 24 * 60)) if rng.random() < 0.8 else None
        incidents.append(
            Incident(
                source=source, external_id=f"i{n}", repository=rng.choice(list(repositories)),
                opened_at=opened, resolved_at=resolved,
                deployment_external_id=f"d{rng.randrange(600)}" if rng.random() < 0.5 else "",
            )
        )  # fmt: skip
    # The clock-skew cases, for certain: resolved before opened, resolved in the future, commit after merge.
    week_ago = NOW - timedelta(weeks=1)
    incidents += [
        Incident(source=source, external_id="skew", repository="acme/a", opened_at=week_ago,
                 resolved_at=week_ago - timedelta(hours=1)),
        Incident(source=source, external_id="soon", repository="acme/a", opened_at=NOW - timedelta(hours=1),
                 resolved_at=NOW + timedelta(hours=2)),
    ]  # fmt: skip
    changes.append(
        Change(source=source, external_id="late-commit", repository="acme/c", merged_at=week_ago,
               first_commit_at=week_ago + timedelta(hours=2))
    )  # fmt: skip
    for rows in (deployments, changes, incidents):
        for row in rows:
            row.tenant = tenant
    Deployment.objects.bulk_create(deployments)
    Change.objects.bulk_create(changes)
    Incident.objects.bulk_create(incidents)
    derive_all(tenant_id=tenant.pk)


def _reference(now: datetime) -> dict[int, metrics.TeamHistory]:
    """The per-event reference, from every row (test only: the request path never loads events)."""
    teams = dict(RepoMapping.objects.values_list("repository", "team_id"))
    causes = set(
        Incident.objects.exclude(deployment_external_id="").values_list("source_id", "deployment_external_id")
    )
    deployments = [
        metrics.DeploymentRecord(
            team_id=teams[d.repository], repository=d.repository, finished_at=d.finished_at,
            succeeded=d.status == DeploymentStatus.SUCCESS, is_remediation=d.is_remediation,
            caused_incident=(d.source_id, d.external_id) in causes,
        )
        for d in Deployment.objects.filter(is_production=True, repository__in=teams)
        .exclude(status=DeploymentStatus.PENDING)
        .order_by("finished_at", "pk")
    ]  # fmt: skip
    changes = [
        metrics.ChangeRecord(teams[c.repository], c.repository, c.merged_at, c.first_commit_at)
        for c in Change.objects.filter(repository__in=teams)
    ]
    incidents = [
        metrics.IncidentRecord(teams[i.repository], i.opened_at, i.resolved_at)
        for i in Incident.objects.filter(repository__in=teams)
    ]
    return metrics.group_by_team(deployments, changes, incidents, now=now)


def test_the_aggregate_queries_build_the_same_weeks_as_the_per_event_reference(world_a):
    with tenant_context(world_a.tenant):
        _history(world_a.tenant)
        data = selectors.delivery_data(now=NOW)
        reference = _reference(NOW)
    assert data.unmapped_repositories == ["other/unmapped"]
    assert set(data.histories) == set(reference) and len(reference) == 3
    for team_id, history in reference.items():
        assert data.histories[team_id].weeks == history.weeks, team_id
    # The history is not trivial: every kind of aggregate is there, in many buckets.
    weeks = [w for h in reference.values() for w in h.weeks.values()]
    assert sum(w.failures for w in weeks) > 20 and sum(w.remediations for w in weeks) > 10
    assert len({b for w in weeks for b in w.lead_times}) > 10 and any(w.recoveries for w in weeks)
    assert max(metrics.week_start(NOW) - m for h in reference.values() for m in h.weeks) >= timedelta(
        weeks=15
    )
    assert max(m for h in reference.values() for m in h.weeks) == metrics.week_start(NOW)
