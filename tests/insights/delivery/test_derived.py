"""The derived delivery fields (failed, recovered_at, deployed_at) are exact whatever order events arrive in.

One hand-computed history of two repositories, ingested through `delivery_record` in time order, in reverse
and shuffled: the stored fields must be the same every time, and equal to what the definitions say.
"""

from __future__ import annotations

import importlib
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps

from catalog.insights.delivery import derived
from catalog.insights.delivery.facts import ChangeFact, DeploymentFact, Fact, IncidentFact
from catalog.insights.delivery.recording import delivery_record
from catalog.insights.models import Change, Deployment
from portal.plugins.api import tenant_context
from tests.insights.delivery.helpers import make_source

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 2, 12, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def deployment(name: str, hours: float | None, outcome: str | None = "success", **kw) -> DeploymentFact:
    kw.setdefault("repository", "acme/api")
    kw.setdefault("environment", "production")
    finished = None if hours is None else h(hours)
    return DeploymentFact(
        external_id=name, sha="", created_at=finished or h(11), outcome=outcome, finished_at=finished, **kw
    )


FACTS: list[Fact] = [
    deployment("d1", 0),
    deployment("d2", 1, "failure"),
    deployment("d3", 3),  # recovers d2 (not web1, another repository)
    deployment("d4", 5),  # followed by the remediation d5: failed
    deployment("d5", 6, is_remediation=True),  # recovers d4
    deployment("d6", 8),  # named by the incident: failed
    deployment("d7", 9, "failure"),
    deployment("d8", None, None),  # GitHub's `deployment` event: pending ...
    deployment("d8", 12),  # ... then its status: recovers d6 and d7
    deployment("d9", 14),  # reported a success ...
    deployment("d9", 15, "failure"),  # ... then, later in the source's time, a failure: never recovered
    deployment("s1", 7, "failure", environment="staging"),  # not production: changes nothing
    deployment("web1", 2, repository="acme/web"),
    deployment("web2", 4, "failure", repository="acme/web"),
    ChangeFact("c1", "acme/api", "", merged_at=h(-1), first_commit_at=h(-3)),
    ChangeFact("c2", "acme/api", "", merged_at=h(0.5)),  # d2 failed to deploy it: d3
    ChangeFact("c3", "acme/api", "", merged_at=h(5)),  # merged as d4 finished: d4 (succeeded, though failed)
    ChangeFact("c4", "acme/api", "", merged_at=h(13)),  # d9 turned into a failure: not deployed
    ChangeFact("c5", "acme/web", "", merged_at=h(2)),
    ChangeFact("c6", "acme/api", "", merged_at=h(7), first_commit_at=h(7.5)),  # commit after merge: skew
    IncidentFact("i1", "acme/api", opened_at=h(8.2), resolved_at=h(9), deployment_external_id="d6"),
]

EXPECTED_DEPLOYMENTS = {
    "d1": (False, None),
    "d2": (True, h(3)),
    "d3": (False, None),
    "d4": (True, h(6)),
    "d5": (False, None),
    "d6": (True, h(12)),
    "d7": (True, h(12)),
    "d8": (False, None),
    "d9": (True, None),
    "web1": (False, None),
    "web2": (True, None),
}
EXPECTED_CHANGES = {"c1": h(0), "c2": h(3), "c3": h(5), "c4": None, "c5": h(2), "c6": h(8)}


def ingest(source, facts: list[Fact]) -> None:
    with tenant_context(source.tenant):
        for n, fact in enumerate(facts):
            delivery_record(source=source, delivery_id=f"delivery-{n}", event_type="test", facts=[fact])


def state(tenant) -> tuple[dict, dict]:
    with tenant_context(tenant):
        deployments = {
            d.external_id: (d.failed, d.recovered_at) for d in Deployment.objects.filter(is_production=True)
        }
        changes = dict(Change.objects.values_list("external_id", "deployed_at"))
    return deployments, changes


ORDERS = {
    "in time order": lambda facts: facts,
    "reversed": lambda facts: facts[::-1],
    **{
        f"shuffled {seed}": (lambda facts, s=seed: random.Random(s).sample(facts, len(facts)))
        for seed in range(6)
    },
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_derived_fields_do_not_depend_on_the_arrival_order(world_a, order):
    source, _ = make_source(world_a, "generic")
    ingest(source, ORDERS[order](FACTS))
    deployments, changes = state(world_a.tenant)
    assert deployments == EXPECTED_DEPLOYMENTS
    assert changes == EXPECTED_CHANGES


def test_a_late_remediation_flags_the_deployment_before_it_and_moves_its_recovery(world_a):
    source, _ = make_source(world_a, "generic")
    ingest(
        source, [deployment("a", 1), deployment("b", 3), deployment("c", 4, "failure"), deployment("d", 6)]
    )
    assert state(world_a.tenant)[0] == {
        "a": (False, None),
        "b": (False, None),
        "c": (True, h(6)),
        "d": (False, None),
    }
    # A rollback that finished between a and b arrives last: a failed, and the rollback recovered it.
    with tenant_context(world_a.tenant):
        delivery_record(
            source=source,
            delivery_id="late",
            event_type="test",
            facts=[deployment("r", 2, is_remediation=True)],
        )
    assert state(world_a.tenant)[0] == {
        "a": (True, h(2)),
        "r": (False, None),
        "b": (False, None),
        "c": (True, h(6)),
        "d": (False, None),
    }


def test_recompute_from_scratch_gives_the_same_fields(world_a, world_b):
    """`derive_all` (the migration, `insights_recompute`, bulk loads) agrees with the ingest, per tenant."""
    source, _ = make_source(world_a, "generic")
    ingest(source, FACTS)
    other, _ = make_source(world_b, "generic")
    ingest(other, [deployment("d1", 0), deployment("d2", 1, is_remediation=True)])  # same names in B
    for world in (world_a, world_b):
        with tenant_context(world.tenant):
            Deployment.objects.update(failed=False, recovered_at=h(100))
            Change.objects.update(deployed_at=None)
    migration = importlib.import_module("catalog.insights.migrations.0002_delivery_derived_fields")
    migration.recompute(apps, None)
    assert state(world_a.tenant) == (EXPECTED_DEPLOYMENTS, EXPECTED_CHANGES)
    assert state(world_b.tenant)[0] == {"d1": (True, h(1)), "d2": (False, None)}
    with tenant_context(world_a.tenant):
        Deployment.objects.update(failed=False, recovered_at=None)
        derived.derive_all(tenant_id=world_a.tenant.pk, repositories=["acme/web"])
    deployments, _ = state(world_a.tenant)
    assert deployments["web2"] == (True, None) and deployments["d2"] == (False, None)  # only acme/web


def test_a_deployment_that_finished_before_it_started_counts_by_its_finish(world_a):
    """Clock skew between a source's start and finish stamps (GitHub: deployment vs status): no metric uses
    the start, so the deployment counts in the week it finished."""
    from catalog.insights import metrics
    from catalog.insights.models import RepoMapping
    from catalog.insights.value.selectors import delivery_data

    source, _ = make_source(world_a, "generic")
    with tenant_context(world_a.tenant):
        RepoMapping.objects.create(repository="acme/api", team=world_a.team)
    skewed = DeploymentFact(
        "skewed", "acme/api", "production", "", created_at=h(24 * 8), outcome="success", finished_at=h(0)
    )
    ingest(source, [skewed])
    with tenant_context(world_a.tenant):
        data = delivery_data(now=h(24 * 30))
    assert data.histories[world_a.team.pk].weeks == {
        metrics.week_start(h(0)): metrics.TeamWeek(deployments=1, succeeded=1)
    }


def test_the_recompute_command_repairs_bulk_loaded_rows(world_a):
    from django.core.management import CommandError, call_command

    source, _ = make_source(world_a, "generic")
    ingest(source, FACTS)
    with tenant_context(world_a.tenant):
        Deployment.objects.update(failed=False, recovered_at=None)
        Change.objects.update(deployed_at=None)
    call_command("insights_recompute", tenant="alpha")
    assert state(world_a.tenant) == (EXPECTED_DEPLOYMENTS, EXPECTED_CHANGES)
    with pytest.raises(CommandError, match="No tenant"):
        call_command("insights_recompute", tenant="nope")
