"""Celery tasks of the delivery engine: thin, each receives tenant_id and enters that tenant itself.

All are `acks_late` + `reject_on_worker_lost` (also the global defaults): a task whose worker dies is
redelivered. Redelivery is safe because every task is idempotent: fan-out inserts with ignore_conflicts,
senders claim rows before sending. The sweep covers messages the broker itself lost.
"""

from __future__ import annotations

from celery import shared_task

from portal.notifications.engine import delivery as engine
from portal.notifications.engine import digest, fanout
from portal.notifications.engine import sweep as sweeper
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


def _tenant(tenant_id: int) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id).first()


@shared_task(**TASK_OPTIONS)
def fan_out(*, tenant_id: int, notification_id: int) -> int:
    tenant = _tenant(tenant_id)
    if tenant is None:
        return 0
    with tenant_context(tenant):
        return fanout.fan_out(notification_id)


@shared_task(**TASK_OPTIONS)
def send_batch(*, tenant_id: int, channel: str, delivery_ids: list[int]) -> int:
    """Claim the deliveries that are still due and send them through their channel."""
    from portal.notifications.channels import get_channel

    tenant = _tenant(tenant_id)
    if tenant is None:
        return 0
    with tenant_context(tenant):
        token, deliveries = engine.claim(delivery_ids)
        if not deliveries:
            return 0
        outcome = engine.Outcome(token)
        sender = get_channel(channel)
        if sender is None:
            for d in deliveries:
                outcome.fail(d, f"no channel {channel!r} is installed")
            return 0
        try:
            with engine.relaxed_commits():
                sender.send(deliveries, outcome)
        except Exception as exc:  # a bug in a channel: every delivery it left unresolved retries later
            for d in deliveries:
                outcome.retry(d, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            outcome.flush(tenant_id=tenant_id, channel=channel)
        return len(deliveries)


@shared_task(**TASK_OPTIONS)
def sweep() -> dict[str, int]:
    return sweeper.sweep_all()


@shared_task(**TASK_OPTIONS)
def send_digests(*, frequency: str) -> int:
    return digest.queue_digests(frequency)


@shared_task(**TASK_OPTIONS)
def send_digest(*, tenant_id: int, user_id: int, frequency: str) -> int:
    tenant = _tenant(tenant_id)
    if tenant is None:
        return 0
    with tenant_context(tenant):
        return digest.send_user_digest(user_id=user_id, frequency=frequency)
