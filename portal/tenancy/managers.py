"""Managers for tenant-owned models: the default one refuses to run without a current tenant."""

from __future__ import annotations

from django.db import models

from portal.tenancy.context import is_introspecting, require_current_tenant


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Filters every query by the current tenant; raises NoTenantError when there is none.

    This is the application-level half of isolation; PostgreSQL row-level security is the other half and
    holds even if a query slips past this manager.
    """

    def get_queryset(self) -> TenantQuerySet:
        if is_introspecting():
            return super().get_queryset().none()
        tenant = require_current_tenant()
        return super().get_queryset().filter(tenant_id=tenant.pk)


class UnscopedManager(models.Manager):
    """No application filter. For the few reads keyed by something other than the tenant (a user's own
    memberships). Row-level security still applies on PostgreSQL."""
