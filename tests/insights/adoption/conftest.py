"""An adoption world: world_a's team (a maintainer, a member) adopting a capability of a platform team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.catalog.factories import make_capability
from tests.factories import add_member, make_team, make_user


@dataclass
class AdoptionWorld:
    world: Any
    owner_team: Any
    owner: Any  # maintainer of the owner team
    other_team: Any
    other_maintainer: Any  # maintainer of another team (neither owner nor the adopting team)
    capability: Any

    @property
    def tenant(self):
        return self.world.tenant

    @property
    def team(self):
        return self.world.team

    def membership(self, user) -> Membership:
        with tenant_context(self.tenant):
            return Membership.objects.select_related("user").get(user=user)


@pytest.fixture
def aw(world_a) -> AdoptionWorld:
    tenant = world_a.tenant
    owner = make_user("alpha-owner")
    add_member(tenant, owner)
    other = make_user("alpha-other")
    add_member(tenant, other)
    owner_team = make_team(tenant, "alpha-platform", maintainers=[owner])
    other_team = make_team(tenant, "alpha-other-team", maintainers=[other])
    capability = make_capability(tenant, owner_team, name="Kubernetes Namespaces", slug="k8s")
    return AdoptionWorld(
        world=world_a, owner_team=owner_team, owner=owner, other_team=other_team, other_maintainer=other,
        capability=capability,
    )  # fmt: skip
