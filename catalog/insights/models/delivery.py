"""Delivery events ingested from CI/CD systems, the raw material of the DORA metrics.

Sources are per tenant, each with its own HMAC secret (stored encrypted) and a public key that names it in
the ingest URL. Every accepted webhook delivery is recorded by its delivery id (`IngestedDelivery`), so a
redelivery changes nothing. Repositories map to teams (`RepoMapping`); events keep the repository, and the
team is resolved when metrics are computed (a join on the repository: `mapping`), so a mapping added later
applies to past events too.

A few fields are derived from the neighbouring rows (`Deployment.failed`, `Deployment.recovered_at`,
`Change.deployed_at`) so that the metrics are set-based GROUP BY queries: they are kept exact at ingest, in
the event's transaction, by `catalog.insights.delivery.derived` (the definitions are in
`catalog.insights.metrics`). Rows written around the ingest (demo data, bulk loads) call
`derived.delivery_derive_all()` (or `manage.py insights_recompute`) afterwards.

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


def _mapping() -> models.ForeignObject:
    """The repository's team mapping, joined on (tenant, repository): no column, no constraint (a mapping
    may come after its events, or go). Lets the metrics group by team in SQL instead of in Python."""
    return models.ForeignObject(
        RepoMapping,
        on_delete=models.DO_NOTHING,
        from_fields=["tenant", "repository"],
        to_fields=["tenant", "repository"],
        related_name="+",
        null=True,
    )


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
    # Derived (production deployments that finished; see the module docstring). A failed change: status
    # failure, or the repository's next production deployment is a remediation, or an incident names it.
    failed = models.BooleanField(default=False)
    # For a failed one: when the repository's next successful, not failed, production deployment finished.
    recovered_at = models.DateTimeField(null=True, blank=True)
    mapping = _mapping()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "external_id"], name="uniq_deployment"),
        ]
        indexes = [
            models.Index(fields=["tenant", "repository", "finished_at"], name="deploy_repo_time"),
            # The weekly GROUP BY of the metrics: production deployments of a tenant in a time range.
            models.Index(fields=["tenant", "is_production", "finished_at"], name="deploy_prod_time"),
        ]


class Change(TenantOwnedModel):
    """A change that reached the default branch: a merged pull request or a pushed commit range."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    repository = models.CharField(max_length=200)
    sha = models.CharField(max_length=64, blank=True)
    first_commit_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField()
    # Derived: when the repository's first successful production deployment at or after the merge finished.
    deployed_at = models.DateTimeField(null=True, blank=True)
    mapping = _mapping()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "external_id"], name="uniq_change")
        ]
        indexes = [
            models.Index(fields=["tenant", "repository", "merged_at"], name="change_repo_time"),
            models.Index(fields=["tenant", "deployed_at"], name="change_deployed_time"),
        ]


class Incident(TenantOwnedModel):
    """A production failure reported by a source (generic `incident` events)."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    repository = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The deployment that caused it, when the source says so (an id of the same source).
    deployment_external_id = models.CharField(max_length=100, blank=True)
    mapping = _mapping()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "external_id"], name="uniq_incident")
        ]
        indexes = [
            models.Index(fields=["tenant", "opened_at"], name="incident_opened_time"),
            # "an incident names this deployment" (the failed flag) is looked up by the deployment's id.
            models.Index(fields=["tenant", "source", "deployment_external_id"], name="incident_cause"),
        ]
