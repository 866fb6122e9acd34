"""Releases, status updates and private feed tokens of the catalog.

Imported at the bottom of `catalog.models`, so Django registers them under the `catalog` app label.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import Capability, Status
from portal.plugins.api import Membership, TenantOwnedModel

HEADLINE_LENGTH = 90


class ReleaseKind(models.TextChoices):
    FEATURE = "feature", "Feature"
    FIX = "fix", "Fix"
    BREAKING = "breaking", "Breaking change"
    DEPRECATION = "deprecation", "Deprecation"
    SECURITY = "security", "Security"


class ReleaseState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


class Release(TenantOwnedModel):
    """A version of a capability, announced to its subscribers when published.

    Life cycle: draft -> scheduled (back to draft allowed) -> published. Publishing is final: afterwards only
    the wording (title, notes, upgrade notes) may be corrected; version, kind and the shipped requests were
    announced and acted upon (requests moved to "shipped"), so they never change. `version_key` is the
    version folded for uniqueness ("v1.4" and "1.4" are the same release of one capability).
    """

    capability = models.ForeignKey(Capability, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=64)
    version_key = models.CharField(max_length=64, editable=False)
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True, help_text="Markdown.")
    kind = models.CharField(max_length=16, choices=ReleaseKind.choices, default=ReleaseKind.FEATURE)
    upgrade_notes = models.TextField(blank=True, help_text="Markdown; required for breaking changes.")
    state = models.CharField(max_length=16, choices=ReleaseState.choices, default=ReleaseState.DRAFT)
    # Feature-request numbers (`#12`) this release ships; the requests plugin resolves them on publish.
    ships_request_numbers = models.JSONField(default=list, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability", "version_key"], name="uniq_release_capability_version"
            ),
            models.CheckConstraint(
                condition=~Q(state=ReleaseState.SCHEDULED) | Q(scheduled_for__isnull=False),
                name="release_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReleaseState.PUBLISHED) | Q(published_at__isnull=False),
                name="release_published_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "-published_at"], name="release_changelog_idx"),
            models.Index(fields=["capability", "state", "-published_at"], name="release_cap_changelog_idx"),
            models.Index(
                fields=["scheduled_for"],
                name="release_due_idx",
                condition=Q(state=ReleaseState.SCHEDULED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capability_id} {self.version}"

    @property
    def is_published(self) -> bool:
        return self.state == ReleaseState.PUBLISHED


class StatusUpdate(TenantOwnedModel):
    """One message about a capability's health; updates of one incident form a thread.

    The first update of an incident is its root (`incident` is null); follow-ups point at the root. The root's
    `resolved_at` is null while the incident is open; at most one incident per capability is open at a time
    (a partial unique constraint, so two maintainers posting at once cannot open two). `resolved` marks the
    update that closed it. Posting also sets the capability's current status (see services).
    """

    capability = models.ForeignKey(Capability, on_delete=models.CASCADE, related_name="status_updates")
    status = models.CharField(max_length=16, choices=Status.choices)
    message = models.TextField(help_text="Markdown.")
    resolved = models.BooleanField(default=False)
    incident = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The hidden token of the form that posted it: a second identical POST (a double click, a resent
    # form) finds this row and answers it instead of posting twice. Null for the API and older rows.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability"],
                condition=Q(incident__isnull=True, resolved_at__isnull=True),
                name="uniq_open_incident_per_capability",
            ),
            models.UniqueConstraint(
                fields=["tenant", "submission_key"],
                condition=Q(submission_key__isnull=False),
                name="uniq_status_update_submission",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="status_update_recent_idx"),
            models.Index(fields=["capability", "-created_at"], name="status_update_cap_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.capability_id} {self.status} @ {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_root(self) -> bool:
        return self.incident_id is None

    @property
    def is_open(self) -> bool:
        return self.incident_id is None and self.resolved_at is None

    @property
    def headline(self) -> str:
        """An incident's title on status pages: the first line of its message without Markdown marks
        (updates have no title field; the first line is what maintainers write as one)."""
        first = next((line for line in self.message.splitlines() if line.strip()), "")
        text = re.sub(r"[#*_`>\[\]]+", "", first).strip()
        if not text:
            return self.get_status_display()
        return text if len(text) <= HEADLINE_LENGTH else text[: HEADLINE_LENGTH - 1].rstrip() + "…"


class FeedToken(TenantOwnedModel):
    """A private, revocable key in Atom feed URLs: feed readers cannot log in.

    The URL carries `<tenant>.<key>.<signature>` (see `catalog.releases.feedtokens`): the tenant slug lets the
    feed view enter the tenant (and its row-level security) before looking the key up; the signature
    (HMAC with SECRET_KEY) means a copy of this table alone yields no working URL. The URL can be shown again
    to its owner at any time; revoking (or leaving the tenant) kills it. A feed shows what the membership may
    see, nothing more.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="feed_tokens")
    key = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="uniq_feed_token_key"),
            models.UniqueConstraint(
                fields=["tenant", "membership"],
                condition=Q(revoked_at__isnull=True),
                name="uniq_active_feed_token",
            ),
        ]

    def __str__(self) -> str:
        return f"feed token {self.key[:4]}… of membership {self.membership_id}"
