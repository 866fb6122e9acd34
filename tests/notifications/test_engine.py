"""Claims, retries, sweeps and digests: the guarantees of the delivery engine."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from portal.notifications.engine import delivery as engine
from portal.notifications.engine import digest, sweep
from portal.notifications.models import ChannelPreference, Delivery, Notification
from portal.tenancy.context import tenant_context
from tests.notifications.helpers import publish, subscribers

pytestmark = pytest.mark.django_db


def test_two_claims_never_share_a_delivery_and_a_stale_claim_cannot_mark_sent(world_a):
    n = publish(world_a.tenant)  # on_commit never runs here: nothing fanned out
    with tenant_context(world_a.tenant):
        Delivery.objects.bulk_create(
            [
                Delivery(
                    tenant_id=world_a.tenant.pk,
                    notification=n,
                    channel="email",
                    recipient=world_a.member,
                    address="m@example.com",
                    next_attempt_at=timezone.now(),
                )
            ]
        )
        ids = list(Delivery.objects.values_list("pk", flat=True))
        token1, first = engine.claim(ids)
        _token2, second = engine.claim(ids)
        assert len(first) == 1 and second == []
        assert first[0].attempts == 1 and first[0].state == "sending"
        # The sweep takes an abandoned claim back; the old claimant's late "sent" changes nothing.
        Delivery.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
        with override_settings(NOTIFY_STUCK_AFTER_SECONDS=60):
            stats = sweep.sweep_tenant(world_a.tenant)
        assert stats["reclaimed"] == 1
        assert engine.Outcome(token1).sent(first[0]) is False
        assert (
            Delivery.objects.get().state == "sent"
        )  # re-queued by the sweep and sent (eagerly) by the new claim
        assert len(mail.outbox) == 1


class FlakySMTP:
    """An email backend whose connection fails on open."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise smtplib.SMTPConnectError(421, b"try later")

    def close(self):
        pass


@override_settings(
    MAILERS={"default": {"BACKEND": "tests.notifications.test_engine.FlakySMTP"}}, NOTIFY_MAX_ATTEMPTS=2
)
def test_smtp_failure_retries_with_backoff_then_fails_visibly(world_a, django_capture_on_commit_callbacks):
    subscribers(world_a.tenant, 1)
    with django_capture_on_commit_callbacks(execute=True):
        n = publish(world_a.tenant)
    with tenant_context(world_a.tenant):
        d = Delivery.objects.get(notification=n, channel="email")
        assert d.state == "pending" and d.attempts == 1 and "SMTP connection failed" in d.last_error
        assert d.next_attempt_at > timezone.now() + timedelta(seconds=10)  # backoff, not a hot loop
        # The retry comes due and its countdown message is gone: the sweep queues it.
        Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now(), enqueued_at=None)
        sweep.sweep_tenant(world_a.tenant)
        d.refresh_from_db()
        assert d.state == "failed" and d.attempts == 2 and d.last_error.startswith("gave up after 2 attempts")


def test_backoff_grows_exponentially_with_jitter():
    with override_settings(NOTIFY_RETRY_BASE_SECONDS=10, NOTIFY_RETRY_MAX_SECONDS=1000):
        samples = {n: [engine.backoff_seconds(n) for _ in range(50)] for n in (1, 3, 10)}
    assert all(5 <= s < 15 for s in samples[1]) and len(set(samples[1])) > 1
    assert all(20 <= s < 60 for s in samples[3])
    assert all(500 <= s < 1500 for s in samples[10])  # capped before jitter


def test_sweep_fans_out_what_the_broker_never_got(world_a):
    subscribers(world_a.tenant, 2)
    n = publish(world_a.tenant)  # on_commit never ran: as if the broker was down
    with tenant_context(world_a.tenant):
        Notification.objects.filter(pk=n.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    stats = sweep.sweep_all()
    assert stats["fanouts"] >= 1
    assert len(mail.outbox) == 2
    with tenant_context(world_a.tenant):
        assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_sweep_queues_pending_deliveries_whose_queue_message_was_lost(
    world_a, django_capture_on_commit_callbacks
):
    subscribers(world_a.tenant, 1)
    flaky = {"default": {"BACKEND": "tests.notifications.test_engine.FlakySMTP"}}
    with override_settings(MAILERS=flaky), django_capture_on_commit_callbacks(execute=True):
        publish(world_a.tenant)
    with tenant_context(world_a.tenant):
        # Due now, queued (with a countdown) long ago, never claimed: the message was lost.
        Delivery.objects.filter(channel="email").update(
            next_attempt_at=timezone.now(), enqueued_at=timezone.now() - timedelta(hours=1)
        )
    assert sweep.sweep_all()["queued"] == 1
    assert len(mail.outbox) == 1


def test_daily_digest_sends_one_email_per_user(world_a, django_capture_on_commit_callbacks):
    user = subscribers(world_a.tenant, 1)[0]
    with tenant_context(world_a.tenant):
        ChannelPreference.objects.create(user=user, channel="email", frequency="daily")
    with django_capture_on_commit_callbacks(execute=True):
        publish(world_a.tenant, title="First")
        publish(world_a.tenant, title="Second", category="status")
    assert mail.outbox == []
    assert digest.queue_digests("daily") == 1
    [message] = mail.outbox
    assert "2 updates" in message.subject and "First" in message.body and "Second" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digest.queue_digests("daily") == 0
    assert digest.queue_digests("weekly") == 0
    with tenant_context(world_a.tenant):
        assert set(Delivery.objects.filter(channel="email").values_list("state", flat=True)) == {"sent"}
