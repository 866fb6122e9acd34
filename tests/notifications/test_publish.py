"""Publishing and fan-out: who gets what, on which channel, exactly once."""

from __future__ import annotations

import pytest
from django.core import mail

from portal.notifications.engine import fanout
from portal.notifications.models import ChannelPreference, Delivery, InboxItem, Notification, Subscription
from portal.tenancy.context import tenant_context
from tests.factories import make_user
from tests.notifications.helpers import publish, subscribers

pytestmark = pytest.mark.django_db


def deliveries(tenant, **filters):
    with tenant_context(tenant):
        return list(Delivery.objects.filter(**filters).order_by("pk"))


def test_publish_fans_out_to_subscribers_on_email_and_inbox(world_a, django_capture_on_commit_callbacks):
    users = subscribers(world_a.tenant, 3)
    with django_capture_on_commit_callbacks(execute=True):
        notification = publish(world_a.tenant)
    sent = deliveries(world_a.tenant, notification=notification)
    assert {(d.recipient_id, d.channel) for d in sent} == {
        (u.pk, c) for u in users for c in ("email", "inbox")
    }
    assert {d.state for d in sent} == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    with tenant_context(world_a.tenant):
        assert InboxItem.objects.filter(notification=notification).count() == 3


def test_publishing_the_same_key_twice_sends_nothing_new(world_a, django_capture_on_commit_callbacks):
    subscribers(world_a.tenant, 2)
    with django_capture_on_commit_callbacks(execute=True):
        first = publish(world_a.tenant, key="event:1")
    with django_capture_on_commit_callbacks(execute=True):
        again = publish(world_a.tenant, key="event:1", title="Something else")
    assert again.pk == first.pk
    assert len(mail.outbox) == 2
    with tenant_context(world_a.tenant):
        assert Notification.objects.count() == 1
        # A repeated fan-out (redelivered task, sweep) adds nothing either.
        Notification.objects.filter(pk=first.pk).update(fanned_out_at=None)
        fanout.fan_out(first.pk)
        assert Delivery.objects.count() == 4
    assert len(mail.outbox) == 2


def test_categories_tenant_wide_follows_mutes_and_non_members(
    world_a, world_b, django_capture_on_commit_callbacks
):
    releases_only = subscribers(world_a.tenant, 1, status=False)[0]
    status_only = subscribers(world_a.tenant, 1, releases=False)[0]
    tenant_wide = subscribers(world_a.tenant, 1, topic_kind="tenant", topic_id=0)[0]
    muted = subscribers(world_a.tenant, 1, topic_kind="tenant", topic_id=0)[0]
    other_topic = subscribers(world_a.tenant, 1, topic_id=2)[0]
    with tenant_context(world_a.tenant):
        Subscription.objects.create(user=muted, topic_kind="capability", topic_id=1, active=False)
    subscribers(world_b.tenant, 2)  # same topic id in another tenant: never reached
    with django_capture_on_commit_callbacks(execute=True):
        release = publish(world_a.tenant, category="release")
        status = publish(world_a.tenant, category="status")
    got = {d.recipient_id for d in deliveries(world_a.tenant, notification=release, channel="email")}
    assert got == {releases_only.pk, tenant_wide.pk}
    got = {d.recipient_id for d in deliveries(world_a.tenant, notification=status, channel="email")}
    assert got == {status_only.pk, tenant_wide.pk}
    assert other_topic.pk not in got
    assert deliveries(world_b.tenant) == []


def test_explicit_recipients_use_their_preferences_and_must_be_members(
    world_a, django_capture_on_commit_callbacks
):
    outsider = make_user("outsider")
    with tenant_context(world_a.tenant):
        ChannelPreference.objects.create(user=world_a.member, channel="email", frequency="off")
        ChannelPreference.objects.create(user=world_a.viewer, channel="email", frequency="daily")
        ChannelPreference.objects.create(user=world_a.admin, channel="inbox", frequency="off")
    with django_capture_on_commit_callbacks(execute=True):
        n = publish(
            world_a.tenant,
            topic_kind="request",
            topic_id=7,
            category="request",
            recipient_user_ids=[world_a.member.pk, world_a.viewer.pk, world_a.admin.pk, outsider.pk],
        )
    rows = {(d.recipient_id, d.channel): d for d in deliveries(world_a.tenant, notification=n)}
    assert set(rows) == {
        (world_a.member.pk, "inbox"),
        (world_a.viewer.pk, "email"),
        (world_a.viewer.pk, "inbox"),
        (world_a.admin.pk, "email"),
    }
    assert rows[(world_a.viewer.pk, "email")].digest == "daily"
    assert rows[(world_a.viewer.pk, "email")].state == "pending"  # waits for the digest
    assert [m.to for m in mail.outbox] == [[world_a.admin.email]]


def test_email_is_multipart_with_list_headers(world_a, django_capture_on_commit_callbacks):
    subscribers(world_a.tenant, 1)
    with django_capture_on_commit_callbacks(execute=True):
        n = publish(
            world_a.tenant,
            title="Kafka 3.7",
            body_markdown="**Bold** <script>x</script>",
            topic_label="Kafka",
        )
    [message] = mail.outbox
    [delivery] = deliveries(world_a.tenant, notification=n, channel="email")
    headers = message.extra_headers
    assert headers["Message-ID"] == f"<agora-delivery-{delivery.pk}@127.0.0.1>"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_part, mailto_part = headers["List-Unsubscribe"].split(", ")
    assert https_part.startswith("<http") and "/u/" in https_part and mailto_part.startswith("<mailto:")
    assert headers["List-Id"].endswith(f"<capability-1.{world_a.tenant.slug}.127.0.0.1>")
    assert message.subject == "[Alpha] Kafka 3.7"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>Bold</strong>" in html and "<script>" not in html
    assert "Kafka" in message.body


def test_publish_rejects_bad_arguments(world_a):
    for bad in ({"topic_kind": "planet"}, {"category": "gossip"}, {"key": ""}):
        with pytest.raises(ValueError):
            publish(world_a.tenant, **bad)
