from django.contrib import admin

from catalog.models import Capability, CapabilityLink
from portal.plugins.api import TenantScopedAdmin


class CapabilityLinkInline(admin.TabularInline):
    model = CapabilityLink
    extra = 0


@admin.register(Capability)
class CapabilityAdmin(TenantScopedAdmin):
    list_display = ["name", "owner_team", "lifecycle", "status", "archived"]
    list_filter = ["lifecycle", "status", "archived"]
    search_fields = ["name", "slug", "summary"]
    inlines = [CapabilityLinkInline]
