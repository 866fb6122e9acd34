from django.contrib import admin

from portal.accounts.models import ApiToken, Team, TeamMembership
from portal.tenancy.admin import TenantScopedAdmin


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(TenantScopedAdmin):
    list_display = ["name", "slug", "chat_channel"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(TenantScopedAdmin):
    """Tokens are issued from the tokens page or `create_api_token`; here they can be seen and revoked."""

    list_display = ["name", "membership", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["membership", "name", "prefix", "key_hash", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]

    def has_add_permission(self, request) -> bool:
        return False
