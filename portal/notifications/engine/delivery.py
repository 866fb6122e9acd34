"""Claiming deliveries, recording outcomes, retry scheduling and queueing of send batches."""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from portal.notifications import conf
from portal.notifications.models import Delivery, DeliveryState, Notification

logger = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = (
    DeliveryState.PENDING,
    DeliveryState.SENDING,
    DeliveryState.SENT,
    DeliveryState.FAILED,
)
ENDPOINT_CHANNELS = {"slack", "teams", "webhook"}


def claim(ids: Sequence[int]) -> tuple[uuid.UUID, list[Delivery]]:
    """Move due pending deliveries among `ids` to `sending` under a fresh claim token; return those rows.

    Rows locked by another worker are skipped (`skip_locked`), and the UPDATE re-checks the state, so two
    workers racing on the same ids split them and never share one. Each claim counts an attempt.
    """
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(ids), state=PENDING, next_attempt_at__lte=now)
            .values_list("pk", flat=True)
        )
        if due:
            Delivery.objects.filter(pk__in=due, state=PENDING).update(
                state=SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
            )
    rows = list(
        Delivery.objects.filter(claim_token=token, state=SENDING)
        .select_related("recipient", "endpoint", "endpoint__team")
        .order_by("pk")
    )
    # One Notification object per batch (rows usually share it), so per-notification work is done once.
    notifications = Notification.objects.in_bulk({d.notification_id for d in rows})
    for row in rows:
        row.notification = notifications[row.notification_id]
    return token, rows


@contextmanager
def relaxed_commits() -> Iterator[None]:
    """Per-delivery "sent" marks without an fsync each (PostgreSQL `synchronous_commit=off`).

    Each mark is still committed and visible to every other worker at once, so worker crashes are covered
    exactly as before; only a crash of the database server itself could forget the last fraction of a
    second of marks, which would resend those messages with the same Message-ID. The setting is reset when
    the batch ends, so other work on the pooled connection keeps full durability.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, times a random factor in [0.5, 1.5)."""
    base = float(conf.get("NOTIFY_RETRY_BASE_SECONDS"))
    cap = float(conf.get("NOTIFY_RETRY_MAX_SECONDS"))
    return min(cap, base * (2 ** max(0, attempts - 1))) * random.uniform(0.5, 1.5)


class Outcome:
    """Records what happened to each claimed delivery, guarded by the claim token.

    Every write is `WHERE pk = ... AND claim_token = <ours>`: if the sweep took a delivery back (our claim
    looked abandoned) our late write changes nothing, and the other claimant's result stands.
    """

    def __init__(self, token: uuid.UUID) -> None:
        self.token = token
        self.retries: dict[int, list[int]] = defaultdict(list)  # countdown seconds -> delivery ids

    def _mine(self, delivery: Delivery):
        return Delivery.objects.filter(pk=delivery.pk, claim_token=self.token, state=SENDING)

    def sent(self, delivery: Delivery) -> bool:
        return bool(
            self._mine(delivery).update(state=SENT, sent_at=timezone.now(), claim_token=None, last_error="")
        )

    def sent_many(self, deliveries: Iterable[Delivery]) -> int:
        ids = [d.pk for d in deliveries]
        return Delivery.objects.filter(pk__in=ids, claim_token=self.token, state=SENDING).update(
            state=SENT, sent_at=timezone.now(), claim_token=None, last_error=""
        )

    def fail(self, delivery: Delivery, error: str) -> None:
        """Give up now (permanent error): visible to the owner with the error."""
        self._mine(delivery).update(state=FAILED, claim_token=None, last_error=error[:2000])

    def retry(self, delivery: Delivery, error: str, *, retry_after: float | None = None) -> None:
        """Try again later, or fail if the attempts are used up. `retry_after` (429) overrides backoff."""
        if delivery.attempts >= conf.max_attempts():
            self._mine(delivery).update(
                state=FAILED,
                claim_token=None,
                last_error=f"gave up after {delivery.attempts} attempts: {error}"[:2000],
            )
            return
        delay = max(retry_after, 0.0) if retry_after is not None else backoff_seconds(delivery.attempts)
        self._reschedule(delivery, delay, error)

    def defer(self, delivery: Delivery, seconds: float) -> None:
        """Not tried (rate limit): reschedule without consuming an attempt."""
        Delivery.objects.filter(pk=delivery.pk, claim_token=self.token, state=SENDING).update(
            attempts=F("attempts") - 1
        )
        self._reschedule(delivery, seconds, "")

    def _reschedule(self, delivery: Delivery, delay: float, error: str) -> None:
        now = timezone.now()
        due = now + timedelta(seconds=delay)
        countdown = int(delay + 0.999)
        queued = countdown <= conf.max_countdown()
        updated = self._mine(delivery).update(
            state=PENDING,
            claim_token=None,
            next_attempt_at=due,
            # Queued with a countdown: counts as enqueued at its due time. Too far out: the sweep queues it.
            enqueued_at=due if queued else None,
            last_error=error[:2000] if error else F("last_error"),
        )
        if updated and queued:
            self.retries[countdown].append(delivery.pk)

    def flush(self, *, tenant_id: int, channel: str) -> None:
        """Queue the retries decided during this batch (after the rows were written)."""
        for countdown, ids in self.retries.items():
            queue_batch(tenant_id=tenant_id, channel=channel, ids=ids, countdown=countdown)
        self.retries.clear()


def queue_batch(*, tenant_id: int, channel: str, ids: list[int], countdown: int = 0) -> bool:
    from portal.notifications.tasks import send_batch

    try:
        kwargs = {"tenant_id": tenant_id, "channel": channel, "delivery_ids": ids}
        if countdown > 0:
            send_batch.apply_async(kwargs=kwargs, countdown=countdown)
        else:
            send_batch.delay(**kwargs)
    except Exception:  # broker down: rows stay pending with enqueued_at cleared, the sweep queues them
        logger.warning("could not queue %s deliveries; the sweep will", len(ids), exc_info=True)
        Delivery.objects.filter(pk__in=ids, state=PENDING).update(enqueued_at=None)
        return False
    return True


def batch_size(channel: str) -> int:
    if channel in ENDPOINT_CHANNELS:
        return int(conf.get("NOTIFY_ENDPOINT_BATCH_SIZE"))
    return int(conf.get("NOTIFY_BATCH_SIZE"))


def enqueue_pending(*, tenant_id: int, queryset) -> int:
    """Mark due, immediate, unqueued deliveries of `queryset` as queued and queue them in batches."""
    now = timezone.now()
    rows = list(
        queryset.filter(state=PENDING, digest="", enqueued_at__isnull=True, next_attempt_at__lte=now)
        .order_by("pk")
        .values_list("pk", "channel")
    )
    by_channel: dict[str, list[int]] = defaultdict(list)
    for pk, channel in rows:
        by_channel[channel].append(pk)
    queued = 0
    for channel, ids in by_channel.items():
        size = batch_size(channel)
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            Delivery.objects.filter(pk__in=chunk, enqueued_at__isnull=True).update(enqueued_at=now)
            if queue_batch(tenant_id=tenant_id, channel=channel, ids=chunk):
                queued += len(chunk)
    return queued
