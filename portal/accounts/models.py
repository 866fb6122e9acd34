"""Teams, team membership (maintainer or member) and API tokens. All are tenant-owned."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.tenancy.models import Membership, TenantOwnedModel


class Team(TenantOwnedModel):
    """A team inside a tenant; it owns capabilities and publishes releases."""

    slug = models.SlugField(max_length=63)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    chat_channel = models.CharField(max_length=200, blank=True, help_text="e.g. #platform-kafka")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="uniq_team_tenant_slug")]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    MAINTAINER = "maintainer", "Maintainer"
    MEMBER = "member", "Member"


class TeamMembership(TenantOwnedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "team", "user"], name="uniq_team_member")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class ApiToken(TenantOwnedModel):
    """A revocable API token bound to one tenant membership.

    Only a SHA-256 of the token is stored (the token carries 256 bits of randomness, so a slow hash adds
    nothing). The token text is `agora.<tenant-slug>.<secret>`: the slug lets authentication enter the
    tenant before looking the hash up, so tokens stay behind row-level security like everything else.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters of the secret, to recognise it.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
