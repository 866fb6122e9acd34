"""Delivery events ingested from CI/CD systems, the raw material of the DORA metrics.

Sources are per tenant, each with its own HMAC secret (stored encrypted) and a public key that names it in
the ingest URL. Every accepted webhook delivery is recorded by its delivery id (`IngestedDelivery`), so a
redelivery changes nothing. Repositories map to teams (`RepoMapping`); events keep the repository, and the
team is resolved when metrics are computed, so a mapping added later applies to past events too.

Times are the source's own timestamps (when it deployed, merged, opened an incident), never arrival times.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.plugins.api import Team, TenantOwnedModel


class IngestSourceKind(models.TextChoices):
    GITHUB = "github", "GitHub webhooks"
    GENERIC = "generic", "Generic JSON events"


class IngestSource(TenantOwnedModel):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=IngestSourceKind.choices)
    # Random, public: names the source in its URL. The secret is what authenticates a delivery.
    key = models.CharField(max_length=40, unique=True)
    secret_encrypted = models.TextField()
    # Which environment names count as production (comma-separated, case-insensitive).
    production_environments = models.CharField(max_length=200, default="production,prod")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_ingest_source_name")]

    def __str__(self) -> str:
        return self.name


class IngestedDelivery(TenantOwnedModel):
    """One accepted webhook delivery (GitHub's `X-GitHub-Delivery`, or the generic event's `id`)."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=40)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "delivery_id"], name="uniq_ingested_delivery"
            ),
        ]


class RepoMapping(TenantOwnedModel):
    """`owner/name` (lower case) of a repository, and the team that ships it."""

    repository = models.CharField(max_length=200)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    # Repository topics/labels seen on events (GitHub `repository.topics`), for adoption inference.
    topics = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["repository"]
        constraints = [models.UniqueConstraint(fields=["tenant", "repository"], name="uniq_repo_mapping")]

    def __str__(self) -> str:
        return self.repository


class DeploymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class Deployment(TenantOwnedModel):
    """A deployment of a repository to an environment, with its latest known outcome."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    repository = models.CharField(max_length=200)
    environment = models.CharField(max_length=100)
    is_production = models.BooleanField(default=False)
    sha = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=8, choices=DeploymentStatus.choices, default=DeploymentStatus.PENDING
    )
    # Unplanned work: a rollback, hotfix or fix-forward (rework rate; see metrics).
    is_remediation = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "external_id"], name="uniq_deployment"),
        ]
        indexes = [models.Index(fields=["tenant", "repository", "finished_at"], name="deploy_repo_time")]


class Change(TenantOwnedModel):
    """A change that reached the default branch: a merged pull request or a pushed commit range."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    repository = models.CharField(max_length=200)
    sha = models.CharField(max_length=64, blank=True)
    first_commit_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "external_id"], name="uniq_change")
        ]
        indexes = [models.Index(fields=["tenant", "repository", "merged_at"], name="change_repo_time")]


class Incident(TenantOwnedModel):
    """A production failure reported by a source (generic `incident` events)."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    repository = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The deployment that caused it, when the source says so (an id of the same source).
    deployment_external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "external_id"], name="uniq_incident")
        ]
