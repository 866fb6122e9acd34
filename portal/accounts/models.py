"""Teams, team membership (maintainer or member), API tokens, invitations and the audit log. All are
tenant-owned."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.tenancy.models import Membership, Role, TenantOwnedModel


class Team(TenantOwnedModel):
    """A team inside a tenant; it owns capabilities and publishes releases."""

    slug = models.SlugField(max_length=63)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    chat_channel = models.CharField(max_length=200, blank=True, help_text="e.g. #platform-kafka")
    # Archived teams keep their history (memberships, audit, past releases) but own nothing new.
    archived_at = models.DateTimeField(null=True, blank=True)
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


class AuditEntry(TenantOwnedModel):
    """One administrative change inside a tenant: who did what to which object, with the state before and
    after. Written by the service that made the change, in the same transaction, so an entry exists exactly
    when the change does. Never edited; `actor_label` keeps the name readable after the user is deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True, help_text="e.g. team.create, membership.role")
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_label or 'system'} {self.action} {self.target_label}"


class Invitation(TenantOwnedModel):
    """An invitation by email into the tenant (and optionally a team), accepted once through a signed link.

    The link carries `(tenant, id, nonce)` signed with a TimestampSigner of its own salt; the signature
    gives expiry, the nonce ties it to this row, and `accepted_at`/`revoked_at` make it single use.
    """

    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team_role = models.CharField(max_length=16, choices=TeamRole.choices, blank=True)
    nonce = models.CharField(max_length=32, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
