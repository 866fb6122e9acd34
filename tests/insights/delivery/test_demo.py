"""The delivery demo: sources, mappings and ~20 weeks of events, with the improving teams improving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.insights.delivery import demo
from catalog.insights.models import Change, Deployment, Incident, IngestSource, RepoMapping
from portal.plugins.api import tenant_context
from tests.factories import make_team, make_tenant

pytestmark = pytest.mark.django_db


def test_demo_rows_and_the_improvement_after_the_documented_date():
    tenant = make_tenant("acme")
    slugs = {r[1] for r in demo.REPOSITORIES["acme"]}
    teams = {slug: make_team(tenant, slug) for slug in slugs}
    with tenant_context(tenant):
        demo.load(tenant=tenant, teams=teams, users={})
        assert IngestSource.objects.count() == 2
        assert RepoMapping.objects.count() == len(demo.REPOSITORIES["acme"])
        assert Deployment.objects.filter(is_production=True).count() > 300
        assert Change.objects.count() > 300 and Incident.objects.exists()
        assert Deployment.objects.filter(is_remediation=True).exists()
        cutoff = timezone.now() - timedelta(weeks=demo.IMPROVES_FROM_WEEKS_AGO)
        weeks_before = demo.WEEKS - demo.IMPROVES_FROM_WEEKS_AGO

        def per_week(team: str, after: bool) -> float:
            repos = [r for r, t, _ in demo.REPOSITORIES["acme"] if t == team]
            rows = Deployment.objects.filter(repository__in=repos, is_production=True, is_remediation=False)
            rows = rows.filter(finished_at__gte=cutoff) if after else rows.filter(finished_at__lt=cutoff)
            return rows.count() / (demo.IMPROVES_FROM_WEEKS_AGO if after else weeks_before)

        for team in demo.IMPROVING_TEAMS["acme"]:
            assert per_week(team, after=True) > 1.5 * per_week(team, after=False)
        assert per_week("security", after=True) < 1.5 * per_week("security", after=False)
