"""Crashes and outages: a worker SIGKILLed mid fan-out, Redis down while publishing."""

from __future__ import annotations

from collections import Counter

import pytest

from portal.notifications.engine.publish import notification_publish
from portal.notifications.models import Delivery, Notification
from portal.tenancy.context import tenant_context
from tests.factories import make_tenant
from tests.integration.conftest import wait_for
from tests.integration.population import populate

pytestmark = pytest.mark.django_db(transaction=True)


def publish(tenant, key: str):
    with tenant_context(tenant):
        return notification_publish(
            key=key,
            topic_kind="capability",
            topic_id=1,
            category="release",
            title="Kafka 4.0 released",
            body_markdown="Breaking: ZooKeeper is gone.",
            url="/t/acme/catalog/kafka/",
        )


def email_states(tenant) -> Counter:
    with tenant_context(tenant):
        return Counter(Delivery.objects.filter(channel="email").values_list("state", flat=True))


def test_worker_killed_mid_fanout_loses_nothing_and_sends_each_delivery_once(worker_factory, smtp):
    tenant = make_tenant("acme")
    populate(tenant, 5000)
    first = worker_factory(NOTIFY_FANOUT_CHUNK="250")  # small chunks: sending starts while fan-out runs
    notification = publish(tenant, "release:big")
    # Kill it while deliveries are being created and sent: some mail is out, most is not.
    wait_for(lambda: len(smtp.messages) >= 50, 120, "the first emails")
    first.kill()
    with tenant_context(tenant):
        notification.refresh_from_db()
        created = Delivery.objects.count()
    assert notification.fanned_out_at is None and created < 10_000, "killed too late: fan-out had finished"

    worker_factory()  # a fresh worker; its beat sweep takes back what the dead one held
    wait_for(lambda: email_states(tenant) == Counter({"sent": 5000}), 180, "all 5000 email deliveries sent")
    with tenant_context(tenant):
        ids = set(Delivery.objects.filter(channel="email").values_list("pk", flat=True))
        assert Delivery.objects.filter(channel="email").count() == 5000  # unique per recipient and channel
        assert max(Delivery.objects.values_list("attempts", flat=True)) <= 2
        assert Notification.objects.get().fanned_out_at is not None
    wait_for(lambda: len(set(smtp.message_ids())) >= 5000, 30, "5000 distinct messages at the SMTP server")
    seen = Counter(smtp.message_ids())
    assert set(seen) == {f"<agora-delivery-{pk}@127.0.0.1>" for pk in ids}
    # Each delivery is marked sent right after the server accepts it, so the only possible duplicates are
    # messages accepted in the instant before the kill (at most one per pool process), and they carry the
    # same Message-ID for receivers to drop.
    duplicates = sum(count - 1 for count in seen.values())
    assert duplicates <= 2, f"{duplicates} duplicate messages"


def test_publishing_while_redis_is_down_loses_nothing(redis_server, worker_factory, smtp):
    tenant = make_tenant("acme")
    populate(tenant, 50)
    redis_server.stop()
    try:
        notification = publish(tenant, "release:outage")  # the fan-out cannot be queued: must not raise
    finally:
        redis_server.start()
    with tenant_context(tenant):
        notification.refresh_from_db()
        assert notification.fanned_out_at is None and not Delivery.objects.exists()
    worker_factory()  # Redis is back: the beat sweep finds the notification and delivers it
    wait_for(lambda: email_states(tenant) == Counter({"sent": 50}), 60, "50 emails after the outage")
    assert len(smtp.messages) == 50
