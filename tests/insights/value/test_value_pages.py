"""Platform value: the dashboard, a capability's value page, the panel, the CSV and the API on real rows.

The history: two adopting teams deploy 1 and 2 times a week before onboarding and 3 and 4 times after;
two comparison teams go from 2 to 3 over the same weeks. So each adopter gains 2 per week, the
comparison teams 1, and the difference in differences is +1 deployment per week.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from catalog.insights.models import (
    Adoption,
    AdoptionChange,
    AdoptionState,
    Deployment,
    DeploymentStatus,
    IngestSource,
    RepoMapping,
)
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
ONBOARDED = NOW - timedelta(weeks=12)


def week_of(offset: int) -> datetime:
    """A Wednesday noon, `offset` weeks from the onboarding week."""
    monday = (ONBOARDED - timedelta(days=ONBOARDED.weekday())).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    return monday + timedelta(weeks=offset, days=2)


def deploy(source, repository: str, per_week_before: int, per_week_after: int, counter: list[int]) -> None:
    rows = []
    for offset, per_week in [(o, per_week_before) for o in range(-8, 0)] + [
        (o, per_week_after) for o in range(1, 9)
    ]:
        for k in range(per_week):
            counter[0] += 1
            at = week_of(offset) + timedelta(hours=k)
            rows.append(
                Deployment(
                    tenant_id=source.tenant_id, source=source, external_id=f"d{counter[0]}",
                    repository=repository, environment="production", is_production=True,
                    status=DeploymentStatus.SUCCESS, created_at=at, finished_at=at,
                )
            )  # fmt: skip
    Deployment.objects.bulk_create(rows)


def onboard(capability, team, at: datetime) -> None:
    adoption = Adoption.objects.create(
        capability=capability, team=team, state=AdoptionState.ONBOARDED, onboarded_at=at
    )
    AdoptionChange.objects.create(
        adoption=adoption, from_state="", to_state=AdoptionState.ONBOARDED, effective_at=at
    )


@pytest.fixture
def value_world(world_a):
    tenant = world_a.tenant
    with tenant_context(tenant):
        platform = make_team(tenant, "platform", maintainers=[world_a.maintainer])
        capability = make_capability(tenant, platform, name="Kafka", slug="kafka")
        source = IngestSource.objects.create(name="ci", kind="generic", key="k-alpha", secret_encrypted="x")
        counter = [0]
        teams = {}
        for slug, before, after in [("pay", 1, 3), ("shop", 2, 4), ("search", 2, 3), ("ads", 2, 3)]:
            team = make_team(tenant, slug)
            teams[slug] = team
            RepoMapping.objects.create(repository=f"acme/{slug}", team=team)
            deploy(source, f"acme/{slug}", before, after, counter)
        onboard(capability, teams["pay"], week_of(0))
        onboard(capability, teams["shop"], week_of(0))
    world_a.capability = capability
    world_a.source = source
    world_a.counter = counter
    return world_a


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_value_page_shows_the_difference_in_differences(value_world):
    page = client_for(value_world.member).get("/t/alpha/insights/value/kafka/")
    assert page.status_code == 200
    effect = next(e for e, _, _ in page.context["effects"] if e.metric == "deployment_frequency")
    assert effect.teams == 2 and effect.control_teams == 2
    assert effect.difference == pytest.approx(1.0)
    assert effect.verdict == "better than comparison teams"
    assert "associations, not proof of cause" in page.text
    assert '<svg viewBox="0 0 320 160"' in page.text and '<title id="t-deployment_frequency">' in page.text
    assert [row.team for row in page.context["teams"]] == ["Pay", "Shop"]


def test_the_dashboard_lists_every_visible_capability_and_the_panel_summarises(value_world):
    client = client_for(value_world.member)
    page = client.get("/t/alpha/insights/")
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r.capability.slug == "kafka")
    assert row.onboarded_teams == 2 and row.compared_teams == 2
    assert row.cells[0].text == "+1.0"

    detail = client.get("/t/alpha/catalog/kafka/")
    assert detail.status_code == 200
    assert 'hx-get="/t/alpha/insights/value/kafka/panel/" hx-trigger="load"' in detail.text
    panel = client.get("/t/alpha/insights/value/kafka/panel/")
    assert panel.status_code == 200
    assert "+1.0 against comparison teams: better than comparison teams" in panel.text
    assert "2 of 5 eligible teams onboarded" in panel.text


def test_one_adopting_team_says_not_enough_data(value_world):
    with tenant_context(value_world.tenant):
        AdoptionChange.objects.filter(adoption__team__slug="shop").delete()
    page = client_for(value_world.member).get("/t/alpha/insights/value/kafka/")
    effect = next(e for e, _, _ in page.context["effects"] if e.metric == "deployment_frequency")
    assert effect.difference is None and effect.verdict.startswith("not enough data")


def test_csv_export_has_one_row_per_metric_and_quotes_formulas(value_world):
    with tenant_context(value_world.tenant):
        type(value_world.capability).objects.filter(pk=value_world.capability.pk).update(name="=HYPERLINK(1)")
    response = client_for(value_world.member).get("/t/alpha/insights/value.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    kafka = [r for r in rows if r["slug"] == "kafka"]
    assert [r["metric"] for r in kafka] == [
        "deployment_frequency", "lead_time_hours", "change_fail_rate", "recovery_hours", "rework_rate",
    ]  # fmt: skip
    assert kafka[0]["capability"] == "'=HYPERLINK(1)"
    assert float(kafka[0]["difference_in_differences"]) == pytest.approx(1.0)


def test_the_api_gives_the_same_numbers(value_world):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {value_world.tokens['member']}")
    listing = client.get("/api/v1/insights/value/")
    assert listing.status_code == 200
    kafka = next(v for v in listing.json() if v["capability"] == "kafka")
    frequency = next(e for e in kafka["effects"] if e["metric"] == "deployment_frequency")
    assert frequency["difference_in_differences"] == pytest.approx(1.0)
    assert frequency["adopting_teams"] == 2 and frequency["comparison_teams"] == 2

    detail = client.get("/api/v1/insights/value/kafka/").json()
    assert [c["team"] for c in detail["comparisons"]] == ["pay", "shop"]
    assert detail["comparisons"][0]["before"]["deployment_frequency"] == pytest.approx(1.0)
    assert detail["comparisons"][0]["after"]["deployment_frequency"] == pytest.approx(3.0)


def test_a_hidden_or_foreign_capability_is_not_found(value_world, world_b):
    with tenant_context(value_world.tenant):
        type(value_world.capability).objects.filter(pk=value_world.capability.pk).update(visibility="teams")
    member = client_for(value_world.member)
    assert member.get("/t/alpha/insights/value/kafka/").status_code == 404
    assert client_for(world_b.member).get("/t/alpha/insights/value/kafka/").status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Bearer {value_world.tokens['member']}")
    assert api.get("/api/v1/insights/value/kafka/").status_code == 404
    assert all(v["capability"] != "kafka" for v in api.get("/api/v1/insights/value/").json())


def test_query_counts_do_not_grow_with_capabilities_and_deployments(
    value_world, django_assert_max_num_queries
):
    client = client_for(value_world.member)
    client.get("/t/alpha/insights/")  # warm up (session, tenant)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get("/t/alpha/insights/").status_code == 200
    with tenant_context(value_world.tenant):
        platform = make_team(value_world.tenant, "more")
        for n in range(10):
            make_capability(value_world.tenant, platform, name=f"Cap {n}", slug=f"cap-{n}")
        team = make_team(value_world.tenant, "late")
        RepoMapping.objects.create(repository="acme/late", team=team)
        deploy(value_world.source, "acme/late", 3, 3, value_world.counter)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/t/alpha/insights/").status_code == 200
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as page:
        assert client.get("/t/alpha/insights/value/kafka/").status_code == 200
    assert len(page) <= len(small) + 2


def test_the_panel_body_query_count_does_not_grow(value_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(value_world.member)
    client.get("/t/alpha/insights/value/kafka/panel/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/t/alpha/insights/value/kafka/panel/").status_code == 200
    with tenant_context(value_world.tenant):
        for n in range(5):
            team = make_team(value_world.tenant, f"extra-{n}")
            RepoMapping.objects.create(repository=f"acme/extra-{n}", team=team)
            deploy(value_world.source, f"acme/extra-{n}", 2, 2, value_world.counter)
        onboard(value_world.capability, team, week_of(0))
    with CaptureQueriesContext(connection) as large:
        assert client.get("/t/alpha/insights/value/kafka/panel/").status_code == 200
    assert len(large) == len(small) <= 20


def test_the_dashboard_reads_aggregates_whatever_the_number_of_events(value_world):
    """10x the deployments (and changes to deploy): the same queries, and every query over events groups."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.insights.delivery.derived import derive_all
    from catalog.insights.models import Change

    client = client_for(value_world.member)
    client.get("/t/alpha/insights/")
    with CaptureQueriesContext(connection) as small:
        page = client.get("/t/alpha/insights/")
    row = next(r for r in page.context["rows"] if r.capability.slug == "kafka")
    assert row.cells[0].text == "+1.0"
    with tenant_context(value_world.tenant):
        for slug, before, after in [("pay", 1, 3), ("shop", 2, 4), ("search", 2, 3), ("ads", 2, 3)]:
            deploy(value_world.source, f"acme/{slug}", 9 * before, 9 * after, value_world.counter)
        Change.objects.bulk_create(
            Change(
                tenant_id=value_world.tenant.pk, source=value_world.source, external_id=f"c{d.pk}",
                repository=d.repository, merged_at=d.finished_at - timedelta(hours=3),
            )
            for d in Deployment.objects.all()
        )  # fmt: skip
        derive_all(tenant_id=value_world.tenant.pk)
        assert Deployment.objects.count() == 10 * 8 * (1 + 3 + 2 + 4 + 2 + 3 + 2 + 3)
    with CaptureQueriesContext(connection) as large:
        page = client.get("/t/alpha/insights/")
    assert len(large) == len(small)
    row = next(r for r in page.context["rows"] if r.capability.slug == "kafka")
    assert row.cells[0].text == "+10.0"  # the 10x was read: each adopter gains 20 a week, the others 10
    events = ('"insights_deployment"', '"insights_change"', '"insights_incident"')
    over_events = [q["sql"] for q in large if any(f"FROM {table}" in q["sql"] for table in events)]
    assert len(over_events) == 5  # counts, lead times, recoveries, incident recoveries, unmapped repositories
    for sql in over_events:
        assert "GROUP BY" in sql or sql.startswith("SELECT DISTINCT"), sql
