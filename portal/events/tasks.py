"""Celery tasks of the outbox. Tasks always receive tenant_id and enter that tenant explicitly."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal.events.models import Event
from portal.events.services import enqueue_dispatch, event_dispatch
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant

MAX_ATTEMPTS = 10


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dispatch_event(*, tenant_id: int, event_id: int) -> None:
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_context(tenant):
        event_dispatch(event_id)


@shared_task
def sweep_undispatched(*, older_than_seconds: int = 30) -> int:
    """Re-queue events left undispatched (broker was down, worker died). Runs per tenant: RLS applies."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    queued = 0
    for tenant in Tenant.objects.all().iterator():
        with tenant_context(tenant):
            pending = Event.objects.filter(
                dispatched_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS
            ).values_list("pk", flat=True)
            for event_id in pending:
                enqueue_dispatch(tenant_id=tenant.pk, event_id=event_id)
                queued += 1
    return queued
