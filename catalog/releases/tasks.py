"""Celery tasks of releases. Scheduled publishing is a beat task, never a long ETA.

`publish_due_releases` runs every minute (`CELERY_BEAT_SCHEDULE["catalog-publish-due-releases"]`): a task
with an ETA hours ahead would outlive the broker's visibility timeout and be delivered twice, and a release
rescheduled or sent back to draft would need its task revoked. The database is the schedule instead; the
service locks due rows with `skip_locked` and re-checks their state, so overlapping runs (or a maintainer
publishing by hand at the same moment) publish each release once.
"""

from __future__ import annotations

import logging

from celery import shared_task

from catalog.releases import services
from portal.plugins.api import Tenant, tenant_context

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def publish_due_releases(*, tenant_id: int | None = None) -> int:
    """Publish due scheduled releases of one tenant (`tenant_id`) or of every tenant; returns the count."""
    tenants = Tenant.objects.order_by("pk")
    if tenant_id is not None:
        tenants = tenants.filter(pk=tenant_id)
    published = 0
    for tenant in tenants.iterator():
        with tenant_context(tenant):
            try:
                ids = services.release_publish_due()
            except Exception:  # one tenant's failure must not hold back the others; retried next minute
                logger.exception("publishing due releases of tenant %s failed", tenant.pk)
                continue
        if ids:
            logger.info("tenant %s: published scheduled releases %s", tenant.pk, ids)
        published += len(ids)
    return published
