"""Celery beat work of surveys: close rounds at `closes_at`, send the one reminder halfway.

Like `catalog.releases.tasks.publish_due_releases`, the database is the schedule: no task with a long ETA
(it would outlive the broker's visibility timeout, and a round closed by hand would need it revoked). The
beat entry `insights-surveys-due` runs this every few minutes; the services lock rows and re-check state, so
overlapping runs and an owner's click at the same moment do each thing once.
"""

from __future__ import annotations

import logging

from celery import shared_task

from catalog.insights.surveys import services
from portal.plugins.api import Tenant, tenant_context

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def survey_due_work(*, tenant_id: int | None = None) -> dict[str, int]:
    """Close due rounds and send due reminders in one tenant (`tenant_id`) or every tenant; returns counts."""
    tenants = Tenant.objects.order_by("pk")
    if tenant_id is not None:
        tenants = tenants.filter(pk=tenant_id)
    totals = {"closed": 0, "reminded": 0}
    for tenant in tenants.iterator():
        with tenant_context(tenant):
            try:
                done = services.survey_due_work()
            except Exception:  # one tenant's failure must not hold back the others; retried next run
                logger.exception("survey due work of tenant %s failed", tenant.pk)
                continue
        if done["closed"] or done["reminded"]:
            logger.info(
                "tenant %s: closed survey rounds %s, reminded %s", tenant.pk, done["closed"], done["reminded"]
            )
        for kind in totals:
            totals[kind] += len(done[kind])
    return totals
