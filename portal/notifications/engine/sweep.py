"""The beat sweep: the safety net that turns "the broker lost it" and "the worker died" into a delay.

Per tenant (row-level security applies), it
1. fans out notifications nobody fanned out within the grace period (broker was down at publish time, or
   the fan-out worker died: fan-out is idempotent, so running it again is safe);
2. takes back deliveries claimed longer ago than NOTIFY_STUCK_AFTER_SECONDS (their worker is gone; the
   claim token changes, so a late write by the old worker is ignored); ones out of attempts fail;
3. queues pending deliveries that are due and were never queued or were queued long ago without anyone
   claiming them (lost message, or a retry scheduled further out than a Celery countdown may reach).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from portal.notifications import conf
from portal.notifications.engine.delivery import FAILED, PENDING, SENDING, enqueue_pending
from portal.notifications.models import Delivery, Notification
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant


def sweep_tenant(tenant: Tenant) -> dict[str, int]:
    from portal.notifications.engine.publish import enqueue_fanout

    now = timezone.now()
    stats = {"fanouts": 0, "reclaimed": 0, "failed": 0, "queued": 0}
    grace = timedelta(seconds=int(conf.get("NOTIFY_FANOUT_GRACE_SECONDS")))
    stuck = timedelta(seconds=int(conf.get("NOTIFY_STUCK_AFTER_SECONDS")))
    requeue = timedelta(seconds=int(conf.get("NOTIFY_REQUEUE_AFTER_SECONDS")))
    with tenant_context(tenant):
        unfanned = Notification.objects.filter(
            fanned_out_at__isnull=True, created_at__lte=now - grace
        ).filter(Q(fanout_started_at__isnull=True) | Q(fanout_started_at__lte=now - stuck))
        for notification_id in unfanned.values_list("pk", flat=True)[:500]:
            if enqueue_fanout(tenant_id=tenant.pk, notification_id=notification_id):
                stats["fanouts"] += 1
        abandoned = Delivery.objects.filter(state=SENDING, claimed_at__lte=now - stuck)
        stats["failed"] = abandoned.filter(attempts__gte=conf.max_attempts()).update(
            state=FAILED, claim_token=None, last_error="gave up: the worker sending it stopped responding"
        )
        stats["reclaimed"] = abandoned.update(
            state=PENDING, claim_token=None, enqueued_at=None, next_attempt_at=now
        )
        lost = Delivery.objects.filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - requeue))
        lost.filter(state=PENDING, digest="", enqueued_at__isnull=False).update(enqueued_at=None)
        stats["queued"] = enqueue_pending(tenant_id=tenant.pk, queryset=Delivery.objects.all())
    return stats


def sweep_all() -> dict[str, int]:
    totals = {"fanouts": 0, "reclaimed": 0, "failed": 0, "queued": 0}
    for tenant in Tenant.objects.all().iterator():
        for key, value in sweep_tenant(tenant).items():
            totals[key] += value
    return totals
