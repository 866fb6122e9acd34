"""Fixtures for the tenant administration tests: a world (admin, maintainer, member, viewer) and clients."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.accounts.models import AuditEntry
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from tests.factories import PASSWORD


@pytest.fixture
def w(world_a):
    return world_a


def browser(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def api(world, role: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def membership(world, user) -> Membership:
    with tenant_context(world.tenant):
        return Membership.objects.select_related("user").get(user=user)


def audit(world, **filters) -> list[AuditEntry]:
    with tenant_context(world.tenant):
        return list(AuditEntry.objects.filter(**filters).order_by("id"))
