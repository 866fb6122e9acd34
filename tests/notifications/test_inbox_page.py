"""The inbox page: pages of 25, unread and kind filters, and items dated by their event (the notification),
not by when the inbox row was delivered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.notifications.models import InboxItem, Notification
from portal.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def inbox_url(world) -> str:
    return f"/t/{world.tenant.slug}/notifications/inbox/"


def deliver(world, user, n: int, *, category: str = "release", read: bool = False, age_days: int = 0):
    """n notifications published `age_days` ago, delivered to `user`'s inbox just now."""
    with tenant_context(world.tenant):
        start = Notification.objects.count()
        notes = Notification.objects.bulk_create(
            [
                Notification(
                    tenant_id=world.tenant.pk,
                    key=f"k-{start + i}",
                    topic_kind="tenant",
                    category=category,
                    title=f"{category} note {start + i}",
                )
                for i in range(n)
            ]
        )
        when = timezone.now() - timedelta(days=age_days)
        Notification.objects.filter(pk__in=[x.pk for x in notes]).update(created_at=when)
        InboxItem.objects.bulk_create(
            [
                InboxItem(
                    tenant_id=world.tenant.pk,
                    user=user,
                    notification=x,
                    read_at=timezone.now() if read else None,
                )
                for x in notes
            ]
        )
    return notes


def test_inbox_pages_through_everything(world_a, login):
    deliver(world_a, world_a.member, 30)
    client = login(world_a.member)
    first = client.get(inbox_url(world_a)).content.decode()
    assert first.count('class="card inbox-item') == 25 and "page 1 of 2" in first
    assert 'rel="next"' in first
    second = client.get(inbox_url(world_a) + "?page=2").content.decode()
    assert second.count('class="card inbox-item') == 5 and 'rel="prev"' in second


def test_inbox_filters_unread_and_kind_and_keeps_them_in_the_pager(world_a, login):
    deliver(world_a, world_a.member, 3, category="status")
    deliver(world_a, world_a.member, 2, category="release", read=True)
    deliver(world_a, world_a.member, 26, category="request")
    client = login(world_a.member)
    status = client.get(inbox_url(world_a) + "?kind=status").content.decode()
    assert status.count('class="card inbox-item') == 3 and "release note" not in status
    unread_releases = client.get(inbox_url(world_a) + "?kind=release&unread=1").content.decode()
    assert unread_releases.count('class="card inbox-item') == 0 and "Nothing matches" in unread_releases
    requests = client.get(inbox_url(world_a) + "?kind=request&unread=1").content.decode()
    assert "unread=1&amp;kind=request&amp;page=2" in requests
    bad = client.get(inbox_url(world_a) + "?kind=bogus")
    assert bad.status_code == 400 and b"Unknown kind" in bad.content


def test_items_are_dated_and_ordered_by_the_event_not_the_delivery(world_a, login):
    (old,) = deliver(world_a, world_a.member, 1, age_days=3)  # a late delivery of an old event, made last
    (new,) = deliver(world_a, world_a.member, 1, age_days=0)
    with tenant_context(world_a.tenant):
        InboxItem.objects.filter(notification=old).update(created_at=timezone.now() + timedelta(minutes=5))
        published = Notification.objects.get(pk=old.pk).created_at
    page = login(world_a.member).get(inbox_url(world_a)).content.decode()
    assert page.index(new.title) < page.index(old.title)
    assert published.strftime("%Y-%m-%d %H:%M") in page
