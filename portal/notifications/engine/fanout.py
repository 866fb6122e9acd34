"""Fan-out: resolve a notification's recipients with set-based queries and insert durable deliveries.

One SELECT yields every recipient with their effective email/inbox frequency (preference rows joined as
subqueries, defaults applied with COALESCE); rows are inserted in chunks with `ignore_conflicts`, so a
repeated or concurrent fan-out only adds what is missing. Each chunk is committed and queued before the next
one is built, so sending starts while a large fan-out is still running.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.notifications import conf
from portal.notifications.engine.delivery import enqueue_pending
from portal.notifications.models import (
    DEFAULT_FREQUENCY,
    Category,
    ChannelPreference,
    ChannelRoute,
    Delivery,
    Frequency,
    Notification,
    Subscription,
    TopicKind,
    UserChannel,
)
from portal.ops.instruments import FANOUT_DURATION
from portal.plugins.registry import notification_channels
from portal.tenancy.models import Membership

CATEGORY_FLAG = {Category.RELEASE: "releases", Category.STATUS: "status"}


def following(queryset: QuerySet, notification: Notification) -> QuerySet:
    """The follows in `queryset` (subscriptions or channel routes) that `notification` reaches: its own
    topic, the whole tenant for a capability, and for capability/tenant announcements only follows that
    chose its category (`releases` / `status`). One definition for people and team channels alike."""
    follows = Q(topic_kind=notification.topic_kind, topic_id=notification.topic_id)
    if notification.topic_kind == TopicKind.CAPABILITY:
        follows |= Q(topic_kind=TopicKind.TENANT, topic_id=0)
    queryset = queryset.filter(follows)
    flag = CATEGORY_FLAG.get(notification.category)
    if flag and notification.topic_kind in {TopicKind.CAPABILITY, TopicKind.TENANT}:
        queryset = queryset.filter(**{flag: True})
    return queryset


def recipient_memberships(notification: Notification) -> QuerySet[Membership]:
    """Memberships of the users who should hear about `notification` (current tenant), mutes excluded."""
    if notification.recipient_user_ids is not None:
        members = Membership.objects.filter(user_id__in=notification.recipient_user_ids)
    else:
        subs = following(Subscription.objects.filter(active=True), notification)
        members = Membership.objects.filter(Exists(subs.filter(user_id=OuterRef("user_id"))))
    if notification.topic_kind != TopicKind.TENANT:
        topic = Q(topic_kind=notification.topic_kind, topic_id=notification.topic_id)
        muted = Subscription.objects.filter(topic, active=False, user_id=OuterRef("user_id"))
        members = members.exclude(Exists(muted))
    return members


def _frequency(channel: str):
    pref = ChannelPreference.objects.filter(user_id=OuterRef("user_id"), channel=channel).values("frequency")[
        :1
    ]
    default = DEFAULT_FREQUENCY.get(channel, Frequency.OFF)
    return Coalesce(Subquery(pref), Value(str(default)))


def fan_out(notification_id: int) -> int:
    """Create every delivery of the notification (current tenant) and queue the immediate ones."""
    from portal.tenancy.context import require_current_tenant

    tenant = require_current_tenant()
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or notification.fanned_out_at is not None:
        return 0
    started = time.perf_counter()  # only fan-outs that do work are timed (repeats return above)
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(fanout_started_at=now)
    created = 0
    extra_channels = [key for key in notification_channels() if key not in UserChannel.values]
    annotations = {f"f_{c}": _frequency(c) for c in [*UserChannel.values, *extra_channels]}
    rows = (
        recipient_memberships(notification)
        .annotate(**annotations)
        .order_by("user_id")
        .values_list("user_id", "user__email", *annotations)
    )
    chunk: list[Delivery] = []
    size = int(conf.get("NOTIFY_FANOUT_CHUNK"))
    channels = [*UserChannel.values, *extra_channels]
    for user_id, email, *frequencies in rows.iterator(chunk_size=size):
        for channel, frequency in zip(channels, frequencies, strict=True):
            if frequency == Frequency.OFF or (channel == UserChannel.EMAIL and not email):
                continue
            digest = frequency if channel == UserChannel.EMAIL and frequency != Frequency.IMMEDIATE else ""
            chunk.append(
                Delivery(
                    tenant_id=tenant.pk,
                    notification_id=notification.pk,
                    channel=channel,
                    recipient_id=user_id,
                    address=email if channel == UserChannel.EMAIL else "",
                    digest=digest,
                    next_attempt_at=now,
                )
            )
        if len(chunk) >= size:
            created += _flush(tenant.pk, notification, chunk)
            chunk = []
    chunk.extend(_endpoint_deliveries(notification, tenant.pk, now))
    created += _flush(tenant.pk, notification, chunk)
    Notification.objects.filter(pk=notification.pk).update(
        fanned_out_at=timezone.now(), fanout_attempts=notification.fanout_attempts + 1
    )
    # Anything a previous, interrupted fan-out inserted but never queued.
    enqueue_pending(tenant_id=tenant.pk, queryset=Delivery.objects.filter(notification=notification))
    FANOUT_DURATION.observe(time.perf_counter() - started)
    return created


def _endpoint_deliveries(notification: Notification, tenant_id: int, now) -> list[Delivery]:
    """Team channel routes: only for capability (or tenant-wide) announcements, never to explicit lists."""
    if notification.recipient_user_ids is not None or notification.topic_kind == TopicKind.REQUEST:
        return []
    routes = following(ChannelRoute.objects.filter(endpoint__enabled=True), notification)
    endpoints = dict(routes.values_list("endpoint_id", "endpoint__kind"))
    return [
        Delivery(
            tenant_id=tenant_id,
            notification_id=notification.pk,
            channel=kind,
            endpoint_id=endpoint_id,
            next_attempt_at=now,
        )
        for endpoint_id, kind in sorted(endpoints.items())
    ]


def _flush(tenant_id: int, notification: Notification, chunk: list[Delivery]) -> int:
    if not chunk:
        return 0
    with transaction.atomic():
        Delivery.objects.bulk_create(chunk, ignore_conflicts=True, batch_size=1000)
    enqueue_pending(tenant_id=tenant_id, queryset=Delivery.objects.filter(notification=notification))
    return len(chunk)
