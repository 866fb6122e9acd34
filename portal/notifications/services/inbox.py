"""Reading the in-app inbox."""

from __future__ import annotations

from django.utils import timezone

from portal.notifications.models import InboxItem


def inbox_mark_read(*, user, item_id: int) -> InboxItem | None:
    """Mark one of the user's items read and return it, with its notification, for the caller to render.
    None when it is not theirs (the caller answers 404)."""
    item = InboxItem.objects.filter(pk=item_id, user=user).select_related("notification").first()
    if item is not None and item.read_at is None:
        now = timezone.now()
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=now)
        item.read_at = now
    return item


def inbox_mark_all_read(*, user) -> int:
    return InboxItem.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
