"""`notification_publish`: the one entry point features use (exported by `portal.plugins.api`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from portal.notifications import topics
from portal.notifications.models import Category, Notification, TopicKind
from portal.tenancy.context import require_current_tenant

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_publish(
    *,
    key: str,
    topic_kind: str,
    topic_id: int | None,
    category: str,
    title: str,
    body_markdown: str,
    url: str,
    recipient_user_ids: Iterable[int] | None = None,
    topic_label: str = "",
) -> Notification:
    """Record a notification in the current tenant and fan it out after the transaction commits.

    Idempotent on `key`: publishing the same key again returns the existing row and sends nothing new, so
    event handlers may be retried freely. With `recipient_user_ids=None` the recipients are the topic's
    subscribers (plus tenant-wide subscribers and team channel routes for capabilities); otherwise exactly
    those users, through their own channel preferences. Never raises because the broker is down.
    """
    tenant = require_current_tenant()
    if topic_kind not in TopicKind.values:
        raise ValueError(f"topic_kind must be one of {TopicKind.values}, not {topic_kind!r}")
    if category not in Category.values:
        raise ValueError(f"category must be one of {Category.values}, not {category!r}")
    if not key or len(key) > 200:
        raise ValueError("key is required, at most 200 characters (an idempotency key such as 'event:<id>')")
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing
    normalised_id = 0 if topic_kind == TopicKind.TENANT or topic_id is None else int(topic_id)
    ids = None if recipient_user_ids is None else sorted({int(u) for u in recipient_user_ids})
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key,
                topic_kind=topic_kind,
                topic_id=normalised_id,
                topic_label=topics.label_for(topic_kind, normalised_id, topic_label),
                category=category,
                title=title[:300],
                body_markdown=body_markdown or "",
                url=url[:500],
                recipient_user_ids=ids,
            )
    except IntegrityError:  # a concurrent publish of the same key won
        return Notification.objects.get(key=key)
    transaction.on_commit(lambda: enqueue_fanout(tenant_id=tenant.pk, notification_id=notification.pk))
    return notification


def enqueue_fanout(*, tenant_id: int, notification_id: int) -> bool:
    from portal.notifications.tasks import fan_out

    try:
        fan_out.delay(tenant_id=tenant_id, notification_id=notification_id)
    except Exception:  # broker down: the sweep fans the notification out later; never fail the publisher
        logger.warning(
            "could not queue fan-out of notification %s; the sweep will", notification_id, exc_info=True
        )
        return False
    return True
