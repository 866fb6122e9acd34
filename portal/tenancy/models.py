"""Tenants, memberships of users in tenants, and the abstract base of every tenant-owned row."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from portal.tenancy.context import require_current_tenant
from portal.tenancy.managers import TenantManager, UnscopedManager


class Tenant(models.Model):
    """An organisation or business unit. Tenants never see each other's data."""

    slug = models.SlugField(unique=True, max_length=63)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantOwnedModel(models.Model):
    """Base of every row that belongs to a tenant.

    `tenant` is set from the current tenant on first save; `objects` only ever sees the current tenant.
    On PostgreSQL every concrete subclass gets row-level security (see `portal.tenancy.rls`).
    `rls_extra_using` lets a model widen its policy with an extra SQL predicate (memberships: "my own rows").
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, editable=False, related_name="+")

    objects = TenantManager()
    unscoped = UnscopedManager()

    rls_extra_using: ClassVar[str] = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.tenant_id is None:
            self.tenant = require_current_tenant()
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    ADMIN = "admin", "Tenant admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class Membership(TenantOwnedModel):
    """A user's membership of one tenant. Team maintainer rights live on TeamMembership."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    # A user may read their own memberships in every tenant (tenant switcher, login landing).
    rls_extra_using = "user_id = NULLIF(current_setting('agora.user_id', true), '')::bigint"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="uniq_membership_tenant_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant_id} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_write(self) -> bool:
        return self.role in {Role.ADMIN, Role.MEMBER}
