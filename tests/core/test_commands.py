"""Demo data and the role/RLS command."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from portal.accounts.models import Team
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Tenant


def test_seed_demo_creates_two_tenants_with_teams_users_and_plugin_data(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert set(Tenant.objects.values_list("slug", flat=True)) == {"acme", "globex"}
    assert "agora-demo" in out.getvalue()
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        assert Team.objects.count() >= 6
        assert Membership.objects.filter(role="admin").count() == 1
        from catalog.models import Capability

        names = set(Capability.objects.values_list("slug", flat=True))
    assert {"kafka-topics", "splunk-indexes", "global-dns", "secrets-vault", "ci-runners"} <= names
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "exists" in again.getvalue()
    with tenant_context(acme):
        assert Capability.objects.count() == len(names)


def test_demo_users_can_log_in_with_the_printed_password(db, client):
    call_command("seed_demo", stdout=StringIO())
    assert client.login(username="carol", password="agora-demo")
    assert client.get("/t/acme/catalog/").status_code == 200
    assert client.get("/t/globex/").status_code == 404
