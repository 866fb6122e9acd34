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
from portal.accounts.models import Team
from portal.sso.models import SsoGroupMapping, SsoIdentity, SsoProvider, SsoTeamGrant
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
    for tenant, name in [(a, "carol"), (b, "gina")]:
        _sso_rows(tenant, users[name])
    return Worlds(a=a, b=b, tokens=tokens)


def _sso_rows(tenant: Tenant, user) -> None:
    """SSO is core, not a plugin with demo data (the demo logs in with passwords): a switched-off provider,
    a mapping, and what one login synced, so the SSO tables and URLs are in the matrix too."""
    with tenant_context(tenant):
        team = Team.objects.order_by("pk").first()
        provider = SsoProvider.objects.create(
            display_name=tenant.name, issuer_url="https://idp.example.com", client_id="agora",
            email_domains=[f"{tenant.slug}.example"], enabled=False,
        )  # fmt: skip
        SsoGroupMapping.objects.create(provider=provider, idp_group="platform", team=team, team_role="member")
        SsoIdentity.objects.create(user=user, subject=f"sub-{user.pk}", groups=["platform"])
        SsoTeamGrant.objects.create(user=user, team=team, role="member")
