"""Board test data, created through the services (numbers, counts, followers and events are real)."""

from __future__ import annotations

from itertools import count

from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership
from requests_app import services
from tests.factories import add_member, make_user

_seq = count(1)


def membership(tenant, user) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.select_related("user").get(user=user)


def make_request(tenant, author, **data):
    n = next(_seq)
    data.setdefault("title", f"Feature request number {n}")
    with tenant_context(tenant):
        return services.request_create(membership=membership(tenant, author), **data)


def make_members(tenant, n: int, prefix: str = "voter") -> list:
    users = []
    for _ in range(n):
        user = make_user(f"{prefix}{next(_seq)}")
        add_member(tenant, user)
        users.append(user)
    return users


def vote(tenant, user, feature_request) -> bool:
    with tenant_context(tenant):
        return services.vote_add(membership=membership(tenant, user), feature_request=feature_request)
