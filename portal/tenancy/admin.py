"""Admin for tenants and memberships, and the mixin that scopes any tenant-owned admin.

Tenant-owned rows are shown for the tenant last visited (stored in the session by the middleware): the admin
never mixes tenants, and only that tenant's admins (or superusers) see its data.
"""

from __future__ import annotations

from django.contrib import admin

from portal.tenancy.context import get_current_tenant
from portal.tenancy.models import Membership, Role, Tenant


class TenantScopedAdmin(admin.ModelAdmin):
    """ModelAdmin for TenantOwnedModel subclasses: current tenant only; tenant admins and superusers."""

    def _allowed(self, request) -> bool:
        membership = getattr(request, "membership", None)
        if get_current_tenant() is None or not request.user.is_active or not request.user.is_staff:
            return False
        return request.user.is_superuser or (membership is not None and membership.role == Role.ADMIN)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def get_queryset(self, request):
        if get_current_tenant() is None:
            return self.model.unscoped.none()
        return super().get_queryset(request)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
