"""Reads about tenants and memberships that happen before a tenant context exists."""

from __future__ import annotations

from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership


def membership_for(
    *, user_id: int, slug: str | None = None, tenant_id: int | None = None
) -> Membership | None:
    """The user's membership of the tenant named by `slug` (or `tenant_id`), or None: an unknown tenant and
    a non-member look the same.

    One query; row-level security lets a user read their own memberships before any tenant is chosen.
    """
    tenant = {"tenant__slug": slug} if tenant_id is None else {"tenant_id": tenant_id}
    with tenant_context(None, user_id=user_id):
        return Membership.unscoped.filter(**tenant, user_id=user_id).select_related("tenant").first()


def memberships_of(user_id: int) -> list[Membership]:
    """Every membership of one user, across tenants (tenant switcher, landing page)."""
    with tenant_context(None, user_id=user_id):
        return list(
            Membership.unscoped.filter(user_id=user_id).select_related("tenant").order_by("tenant__name")
        )
