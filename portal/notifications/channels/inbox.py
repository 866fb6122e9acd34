"""The in-app inbox: a delivery becomes an InboxItem row (idempotent: unique per user and notification)."""

from __future__ import annotations

from portal.notifications.models import InboxItem


class InboxChannel:
    key = "inbox"

    def send(self, deliveries, outcome) -> None:
        InboxItem.objects.bulk_create(
            [
                InboxItem(tenant_id=d.tenant_id, user_id=d.recipient_id, notification_id=d.notification_id)
                for d in deliveries
            ],
            ignore_conflicts=True,
        )
        outcome.sent_many(deliveries)
