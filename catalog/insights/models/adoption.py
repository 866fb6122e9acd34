"""Which teams use a capability, since when, and how they got there.

A team's adoption of a capability moves `evaluating -> onboarded -> offboarded` (and may come back); every
move is kept as an `AdoptionChange` with its date, who recorded it, and whether a person or the ingested
deployments (`source=inferred`) said so. The current state and its dates live on `Adoption` so lists and
counts never replay the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.plugins.api import Team, TenantOwnedModel


class AdoptionState(models.TextChoices):
    EVALUATING = "evaluating", "Evaluating"
    ONBOARDED = "onboarded", "Onboarded"
    OFFBOARDED = "offboarded", "Offboarded"


class AdoptionSource(models.TextChoices):
    MANUAL = "manual", "Recorded"
    INFERRED = "inferred", "Inferred from deployments"


class AdoptionRule(TenantOwnedModel):
    """Per capability: which teams count as eligible, and how adoption is inferred from deployments.

    No row means the defaults: every team of the tenant (but the owner) is eligible, nothing is inferred.
    """

    class Eligibility(models.TextChoices):
        ALL = "all", "All teams of the tenant"
        LISTED = "listed", "Only the listed teams"

    capability = models.OneToOneField("catalog.Capability", on_delete=models.CASCADE, related_name="+")
    eligibility = models.CharField(max_length=8, choices=Eligibility.choices, default=Eligibility.ALL)
    # A successful production deployment to this environment name, or from a repository carrying this
    # topic/label, onboards the deploying team (empty: no inference of that kind).
    environment = models.CharField(max_length=100, blank=True)
    repo_topic = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"adoption rule of capability {self.capability_id}"


class EligibleTeam(TenantOwnedModel):
    """A team listed as eligible for a capability (used when its rule says `listed`)."""

    capability = models.ForeignKey("catalog.Capability", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "capability", "team"], name="uniq_eligible_team"),
        ]


class Adoption(TenantOwnedModel):
    """The current adoption state of one team for one capability, with the dates of each state."""

    capability = models.ForeignKey("catalog.Capability", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=12, choices=AdoptionState.choices)
    evaluating_since = models.DateTimeField(null=True, blank=True)
    onboarded_at = models.DateTimeField(null=True, blank=True)
    offboarded_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=AdoptionSource.choices, default=AdoptionSource.MANUAL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "capability", "team"], name="uniq_adoption"),
        ]
        indexes = [models.Index(fields=["tenant", "capability", "state"], name="adoption_cap_state")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.state} capability {self.capability_id}"


class AdoptionChange(TenantOwnedModel):
    """One move of an adoption, as history: from which state, to which, effective when, recorded by whom."""

    adoption = models.ForeignKey(Adoption, on_delete=models.CASCADE, related_name="changes")
    from_state = models.CharField(max_length=12, choices=AdoptionState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=AdoptionState.choices)
    effective_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=AdoptionSource.choices, default=AdoptionSource.MANUAL)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["effective_at", "pk"]
