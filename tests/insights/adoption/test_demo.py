"""The demo tells an adoption story in both tenants: onboarded teams, some evaluating, one churned."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from catalog.insights.adoption import selectors
from catalog.insights.models import Adoption
from catalog.selectors import visible_capability
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Role, Tenant

pytestmark = pytest.mark.django_db


def test_demo_adoption_in_both_tenants():
    call_command("seed_demo", verbosity=0)
    acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    with tenant_context(acme):
        admin = Membership.objects.filter(role=Role.ADMIN).first()
        k8s = visible_capability(admin, slug="kubernetes-namespaces")
        summary = selectors.adoption_summary(admin, k8s)
        assert summary.onboarded >= 3 and summary.evaluating >= 1 and len(summary.churned) == 1
        assert summary.median_days_to_onboard is not None
        assert any(count for _, count in summary.weekly[:20])  # a history over the year, not only today
    with tenant_context(globex):
        assert Adoption.objects.filter(state="onboarded").exists()
        assert Adoption.objects.filter(state="offboarded").exists()
