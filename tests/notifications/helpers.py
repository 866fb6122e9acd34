"""Builders for notification tests (kept here, not in tests/factories.py)."""

from __future__ import annotations

import itertools

from portal.notifications.engine.publish import notification_publish
from portal.notifications.models import Subscription
from portal.tenancy.context import tenant_context
from tests.factories import add_member, make_user

_seq = itertools.count(1)


def subscribers(tenant, n: int, *, topic_kind="capability", topic_id=1, **flags) -> list:
    """`n` new members of `tenant`, each following the topic."""
    users = []
    for _ in range(n):
        user = make_user(f"sub{next(_seq)}")
        add_member(tenant, user)
        users.append(user)
    with tenant_context(tenant):
        Subscription.objects.bulk_create(
            [
                Subscription(tenant_id=tenant.pk, user=u, topic_kind=topic_kind, topic_id=topic_id, **flags)
                for u in users
            ]
        )
    return users


def publish(tenant, *, key=None, topic_kind="capability", topic_id=1, category="release", **extra):
    with tenant_context(tenant):
        return notification_publish(
            key=f"test:{next(_seq)}" if key is None else key,
            topic_kind=topic_kind,
            topic_id=topic_id,
            category=category,
            title=extra.pop("title", "Kafka 3.7 released"),
            body_markdown=extra.pop("body_markdown", "New **features**."),
            url=extra.pop("url", "/t/alpha/catalog/kafka/"),
            **extra,
        )
