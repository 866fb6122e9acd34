from django.contrib import admin

from catalog import facets, search
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

    # The admin writes rows directly, past the services: recount the facets of the tenant and refresh the
    # search document in the same transaction, so the catalog's filters and search never go stale.
    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        search.refresh(form.instance)
        facets.rebuild()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        facets.rebuild()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        facets.rebuild()
