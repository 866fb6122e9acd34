"""Per-tenant OpenID Connect configuration, group mappings, and what each SSO login last synced.

Everything here is tenant-owned (row-level security through TenantOwnedModel) except `SsoDomainRoute`, the
global directory "email domain -> tenant" that the login page reads before anyone is logged in; it also makes
a domain belong to one tenant only, so two tenants can never both route (and provision) `@acme.com`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.accounts.models import Team, TeamRole
from portal.tenancy.models import Role, Tenant, TenantOwnedModel

DEFAULT_SCOPES = "openid profile email"


class SsoProvider(TenantOwnedModel):
    """One tenant's OpenID Connect provider (at most one per tenant).

    The client secret is stored encrypted (portal.notifications.crypto, like chat webhook URLs) and never
    shown again. `issuer_url` is the issuer; discovery reads `<issuer>/.well-known/openid-configuration`.
    """

    display_name = models.CharField(max_length=100, help_text='Shown as "Continue with <name>".')
    issuer_url = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    email_domains = models.JSONField(default=list, blank=True)
    scopes = models.CharField(max_length=500, default=DEFAULT_SCOPES)
    groups_claim = models.CharField(max_length=100, default="groups", blank=True)
    default_role = models.CharField(
        max_length=16,
        choices=Role.choices,
        default=Role.MEMBER,
        help_text="Tenant role of a provisioned user when no group mapping gives one.",
    )
    enabled = models.BooleanField(default=False)
    local_passwords_allowed = models.BooleanField(default=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="uniq_sso_provider_tenant")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.issuer_url})"


class SsoGroupMapping(TenantOwnedModel):
    """IdP group -> an Agora team with a team role, or -> a tenant role. Exactly one of the two."""

    provider = models.ForeignKey(SsoProvider, on_delete=models.CASCADE, related_name="mappings")
    idp_group = models.CharField(max_length=255)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    team_role = models.CharField(max_length=16, choices=TeamRole.choices, blank=True)
    tenant_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["idp_group", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & ~Q(team_role="") & Q(tenant_role=""))
                | (Q(team__isnull=True) & Q(team_role="") & ~Q(tenant_role="")),
                name="sso_mapping_team_xor_tenant_role",
            )
        ]

    def __str__(self) -> str:
        target = f"{self.team} ({self.team_role})" if self.team_id else f"tenant {self.tenant_role}"
        return f"{self.idp_group} -> {target}"


class SsoIdentity(TenantOwnedModel):
    """A user as the tenant's provider knows them (`sub`), with what the last login synced.

    `role_managed`: the tenant membership was created by SSO, so its role follows the mappings at each login.
    A membership that existed before (an invited or added account) keeps the role an admin gave it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True)
    groups = models.JSONField(default=list, blank=True)
    role_managed = models.BooleanField(default=False)
    first_login_at = models.DateTimeField(auto_now_add=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_sync_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "subject"], name="uniq_sso_identity_subject"),
            models.UniqueConstraint(fields=["tenant", "user"], name="uniq_sso_identity_user"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.user_id}"


class SsoTeamGrant(TenantOwnedModel):
    """Marks a team membership that exists because of a group mapping: only these are removed when the
    group disappears from the user's claims (a membership an admin added by hand is never touched)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=16, choices=TeamRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "team"], name="uniq_sso_team_grant")]


class SsoDomainRoute(models.Model):
    """Global directory: an email domain routes to one tenant's provider ("work email" on the login page).

    Not tenant-owned on purpose (read before login, unique across tenants); the field is not called `tenant`
    so that no one mistakes it for a tenant-scoped row. Rows are written only by `sso_provider_save`.
    """

    domain = models.CharField(max_length=253, unique=True)
    routes_to = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.domain} -> {self.routes_to_id}"
