"""Two fully populated tenants for the isolation suites: the demo tenants `acme` (A) and `globex` (B).

Every plugin's `demo_data` hook runs for both, so tables added by later features get rows without edits
here; API tokens are added because demo data has none. Users: `alice` is A's admin, `carol` A's member,
`gina` B's admin. (`sam`, a member of both, is left out of every cross-tenant assertion.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management import call_command

from portal.accounts import services as account_services
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Tenant


@dataclass
class Worlds:
    a: Tenant
    b: Tenant
    tokens: dict[str, str]  # username -> bearer token in that user's tenant


def build_worlds() -> Worlds:
    call_command("seed_demo", verbosity=0)
    a, b = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    users = get_user_model().objects.in_bulk(["alice", "carol", "vera", "gina"], field_name="username")
    tokens = {}
    for tenant, names in [(a, ["alice", "carol", "vera"]), (b, ["gina"])]:
        with tenant_context(tenant):
            for name in names:
                membership = Membership.objects.get(user=users[name])
                tokens[name] = account_services.api_token_create(membership=membership, name="isolation").text
    return Worlds(a=a, b=b, tokens=tokens)
