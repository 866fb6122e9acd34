"""Many subscribers, quickly: bulk inserts of users, memberships and follows."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from portal.notifications.models import Subscription
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership


def populate(tenant, n: int, *, topic_id: int = 1, prefix: str = "fan") -> list[int]:
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password="!") for i in range(n)],
        batch_size=2000,
    )
    with tenant_context(tenant):
        Membership.objects.bulk_create(
            [Membership(tenant_id=tenant.pk, user_id=u.pk) for u in users], batch_size=2000
        )
        Subscription.objects.bulk_create(
            [
                Subscription(tenant_id=tenant.pk, user_id=u.pk, topic_kind="capability", topic_id=topic_id)
                for u in users
            ],
            batch_size=2000,
        )
    return [u.pk for u in users]
