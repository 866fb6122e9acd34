"""The catalog's demo rows are rich enough to show every part of the pages, in both demo tenants."""

from __future__ import annotations

import pytest

from catalog import demo
from catalog.models import Capability, CapabilityDependency, CapabilityLink
from portal.tenancy.context import tenant_context
from tests.factories import make_team, make_tenant

pytestmark = pytest.mark.django_db
ACME_TEAMS = [
    "streaming",
    "observability",
    "network",
    "kubernetes",
    "security",
    "devex",
    "payments",
    "checkout",
]
GLOBEX_TEAMS = ["platform", "data", "web"]


def load(slug: str, team_slugs: list[str]):
    tenant = make_tenant(slug)
    teams = {s: make_team(tenant, s) for s in team_slugs}
    with tenant_context(tenant):
        demo.load(tenant=tenant, teams=teams)
    return tenant


def test_acme_demo_shows_every_feature_of_the_pages():
    tenant = load("acme", ACME_TEAMS)
    with tenant_context(tenant):
        caps = list(Capability.objects.all())
        assert len(caps) == len(demo.ACME)
        assert {c.lifecycle for c in caps} >= {"experimental", "beta", "ga", "deprecated"}
        assert {c.status for c in caps} >= {"operational", "degraded", "partial_outage"}
        assert all(c.links.exists() for c in caps), "every acme capability has at least one link"
        assert sum(1 for c in caps if c.slo_target) >= 3
        assert CapabilityDependency.objects.count() >= 5
        assert Capability.objects.filter(visibility="teams").exists()
        kinds = set(CapabilityLink.objects.values_list("kind", flat=True))
        assert kinds >= {"docs", "getting_started", "runbook", "repository", "dashboard", "api_reference"}


def test_globex_demo_has_its_own_rows_including_a_retired_capability():
    tenant = load("globex", GLOBEX_TEAMS)
    with tenant_context(tenant):
        assert Capability.objects.count() == len(demo.GLOBEX)
        assert Capability.objects.filter(lifecycle="retired").exists()
        assert Capability.objects.filter(status="maintenance").exists()
        assert (
            CapabilityDependency.objects.exists() and Capability.objects.filter(visibility="teams").exists()
        )


def test_demo_text_renders_without_a_single_unsafe_link():
    """Every demo URL passes the same validation as user input (the services created them)."""
    tenant = load("acme", ACME_TEAMS)
    with tenant_context(tenant):
        urls = list(CapabilityLink.objects.values_list("url", flat=True))
    assert urls and all(u.startswith("https://") for u in urls)
