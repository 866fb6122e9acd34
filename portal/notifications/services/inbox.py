"""Reading the in-app inbox."""

from __future__ import annotations

from django.utils import timezone

from portal.notifications.models import InboxItem


def inbox_mark_read(*, user, item_id: int) -> bool:
    """Mark one of the user's items read. False when it is not theirs (the caller answers 404)."""
    item = InboxItem.objects.filter(pk=item_id, user=user).first()
    if item is None:
        return False
    if item.read_at is None:
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=timezone.now())
    return True


def inbox_mark_all_read(*, user) -> int:
    return InboxItem.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
