"""Feature requests, their votes, comments and triage history.

A request is addressed by its `number` (`#12`), unique per tenant and never reused, the way people quote
it in chat and in release notes. `vote_count` and `trend_score` are denormalised from the vote rows by the
services, in the same transaction and under the request's row lock, so the numbers shown are always exact
(see `requests_app.services.votes`). Comments are soft-deleted: a trace stays where they were.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from catalog.models import Capability
from portal.plugins.api import TenantOwnedModel


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    UNDER_REVIEW = "under_review", "Under review"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"
    DUPLICATE = "duplicate", "Duplicate"


# Statuses in which people may still vote; shipped, declined and duplicate requests are closed.
OPEN_STATUSES = (
    RequestStatus.NEW,
    RequestStatus.UNDER_REVIEW,
    RequestStatus.PLANNED,
    RequestStatus.IN_PROGRESS,
)


class RequestSequence(TenantOwnedModel):
    """The last request number handed out in a tenant. Its row lock serialises number allocation."""

    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="uniq_request_sequence_tenant")]


class FeatureRequest(TenantOwnedModel):
    """Something people want from a platform capability (or from the platform in general)."""

    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown.")
    capability = models.ForeignKey(
        Capability, null=True, blank=True, on_delete=models.SET_NULL, related_name="feature_requests"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.NEW)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    vote_count = models.PositiveIntegerField(default=0)
    # Sum of 2^((vote time - TREND_EPOCH) / half-life) over the votes: see requests_app.trending.
    trend_score = models.FloatField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # What shipped it, for the "shipped in Kafka Topics 2.3.0" line (set when a release ships it).
    shipped_in = models.CharField(max_length=300, blank=True)
    shipped_in_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Title and body as a tsvector (PostgreSQL; GIN index in migration 0002) for duplicate suggestions.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-vote_count", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="uniq_request_tenant_number"),
            models.CheckConstraint(
                condition=Q(status="duplicate", duplicate_of__isnull=False)
                | (~Q(status="duplicate") & Q(duplicate_of__isnull=True)),
                name="request_duplicate_has_target",
            ),
        ]
        indexes = [
            # The board's "top" sort reads this index in order (tenant first: every query is scoped).
            models.Index(fields=["tenant", "-vote_count", "-id"], name="request_top_idx"),
            models.Index(fields=["tenant", "-trend_score", "-id"], name="request_trending_idx"),
            models.Index(fields=["tenant", "status", "-vote_count"], name="request_status_top_idx"),
            models.Index(fields=["capability", "status"], name="request_capability_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestTag(TenantOwnedModel):
    """A tag on a request (lowercase slug), a row per tag so the board can filter on it with an index."""

    request = models.ForeignKey(FeatureRequest, on_delete=models.CASCADE, related_name="tags")
    name = models.SlugField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "request", "name"], name="uniq_request_tag")]
        indexes = [models.Index(fields=["tenant", "name"], name="request_tag_name_idx")]

    def __str__(self) -> str:
        return self.name


class Vote(TenantOwnedModel):
    """One person's vote on one request. `recorded_by` is set when a maintainer recorded it for them
    (heard in a meeting); `weight` is the vote's term of the request's trend score."""

    request = models.ForeignKey(FeatureRequest, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    weight = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "request", "user"], name="uniq_vote_request_user")
        ]
        indexes = [models.Index(fields=["tenant", "user"], name="vote_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} → #{self.request_id}"

    @property
    def on_behalf(self) -> bool:
        return self.recorded_by_id is not None and self.recorded_by_id != self.user_id


class Comment(TenantOwnedModel):
    """A Markdown comment. `official`: a maintainer's response on behalf of the owning team. `internal`:
    a note only the owning team (and tenant admins) can see. Deleting keeps the row with who and when."""

    request = models.ForeignKey(FeatureRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    official = models.BooleanField(default=False)
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(official=True, internal=True), name="comment_not_both")
        ]
        indexes = [models.Index(fields=["request", "created_at"], name="comment_request_idx")]

    def __str__(self) -> str:
        return f"comment {self.pk} on #{self.request_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class HistoryKind(models.TextChoices):
    STATUS = "status", "Status change"
    MERGED_IN = "merged_in", "Duplicate merged in"


class StatusChange(TenantOwnedModel):
    """One entry of a request's public history: a status change with its note, or a duplicate merged in."""

    request = models.ForeignKey(FeatureRequest, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=16, choices=HistoryKind.choices, default=HistoryKind.STATUS)
    from_status = models.CharField(max_length=16, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=RequestStatus.choices, blank=True)
    note = models.TextField(blank=True, help_text="Public note, Markdown.")
    related = models.ForeignKey(
        FeatureRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.request_id}: {self.from_status} → {self.to_status}"
