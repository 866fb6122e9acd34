"""Small builders for test data. Each enters the tenant context it needs, so tests stay short."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from portal.accounts import services as account_services
from portal.accounts.models import Team, TeamRole
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Role, Tenant

User = get_user_model()
_seq = itertools.count(1)
PASSWORD = "test-pass-123"


def make_tenant(slug: str | None = None, name: str | None = None) -> Tenant:
    slug = slug or f"tenant-{next(_seq)}"
    return Tenant.objects.create(slug=slug, name=name or slug.title())


def make_user(username: str | None = None, **extra: Any):
    username = username or f"user{next(_seq)}"
    return User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


def add_member(tenant: Tenant, user, role: str = Role.MEMBER) -> Membership:
    with tenant_context(tenant):
        return account_services.membership_set(user=user, role=role)


def make_team(tenant: Tenant, slug: str | None = None, *, maintainers=(), members=()) -> Team:
    slug = slug or f"team-{next(_seq)}"
    with tenant_context(tenant):
        team = account_services.team_create(name=slug.replace("-", " ").title(), slug=slug)
        for user in maintainers:
            account_services.team_member_set(team=team, user=user, role=TeamRole.MAINTAINER)
        for user in members:
            account_services.team_member_set(team=team, user=user, role=TeamRole.MEMBER)
    return team


@dataclass
class TenantWorld:
    """One tenant with a team, an admin, a maintainer, a member, a viewer and an API token each."""

    tenant: Tenant
    team: Team
    admin: Any
    maintainer: Any
    member: Any
    viewer: Any
    tokens: dict[str, str] = field(default_factory=dict)


def make_world(slug: str) -> TenantWorld:
    tenant = make_tenant(slug)
    users = {}
    for role_name, role in [
        ("admin", Role.ADMIN),
        ("maintainer", Role.MEMBER),
        ("member", Role.MEMBER),
        ("viewer", Role.VIEWER),
    ]:
        user = make_user(f"{slug}-{role_name}")
        add_member(tenant, user, role)
        users[role_name] = user
    team = make_team(tenant, f"{slug}-team", maintainers=[users["maintainer"]], members=[users["member"]])
    world = TenantWorld(tenant=tenant, team=team, **users)
    with tenant_context(tenant):
        for role_name, user in users.items():
            membership = Membership.objects.get(user=user)
            world.tokens[role_name] = account_services.api_token_create(
                membership=membership, name="test"
            ).text
    return world
