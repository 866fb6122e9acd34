"""The outbox: one row per domain event, plus one row per (event, handler) that completed."""

from __future__ import annotations

import uuid

from django.db import models

from portal.tenancy.models import TenantOwnedModel


class Event(TenantOwnedModel):
    """A domain event such as `catalog.release_published`, written in the emitting transaction."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "created_at"],
                name="event_undispatched_idx",
                condition=models.Q(dispatched_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class HandlerRun(TenantOwnedModel):
    """Marks that one handler finished one event, committed with the handler's own writes.

    That makes each handler's database effects happen exactly once even when an event is dispatched twice
    (a retried task, the sweep racing a late worker).
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="handler_runs")
    handler = models.CharField(max_length=200)
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event", "handler"], name="uniq_handler_run")
        ]
