"""Reads of the notifications app (current tenant; constant query counts)."""

from __future__ import annotations

from django.db.models import Count, Func, OuterRef, Q, QuerySet, Subquery

from portal.accounts.permissions import is_tenant_admin, maintained_team_ids
from portal.notifications.models import (
    DEFAULT_FREQUENCY,
    ChannelEndpoint,
    ChannelPreference,
    ChannelRoute,
    Delivery,
    DeliveryState,
    Frequency,
    InboxItem,
    Subscription,
    TopicKind,
)


def subscriptions_of(user_id: int) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user_id=user_id).order_by(
        "topic_kind", "topic_label", "topic_id", "id"
    )


def subscription_for(*, user_id: int, topic_kind: str, topic_id: int) -> Subscription | None:
    return Subscription.objects.filter(user_id=user_id, topic_kind=topic_kind, topic_id=topic_id).first()


def is_following(*, user_id: int, topic_kind: str, topic_id: int) -> bool:
    return Subscription.objects.filter(
        user_id=user_id, topic_kind=topic_kind, topic_id=topic_id, active=True
    ).exists()


def topic_follower_ids(*, topic_kind: str, topic_id: int | None) -> set[int]:
    """Users actively following a topic (a feature adding them to an explicit recipient list)."""
    number = 0 if topic_kind == TopicKind.TENANT or topic_id is None else int(topic_id)
    return set(
        Subscription.objects.filter(topic_kind=topic_kind, topic_id=number, active=True).values_list(
            "user_id", flat=True
        )
    )


def followed_topic_ids(user_id: int) -> dict[str, set[int]]:
    """What a user actively follows, by topic kind (`{"capability": {3, 7}, "tenant": {0}}`): one query, for
    pages that show "what's new for what I follow" without knowing the kinds' models."""
    followed: dict[str, set[int]] = {}
    rows = Subscription.objects.filter(user_id=user_id, active=True).values_list("topic_kind", "topic_id")
    for kind, topic_id in rows:
        followed.setdefault(kind, set()).add(topic_id)
    return followed


def preferences_of(user_id: int, channels: list[tuple[str, str]]) -> list[dict]:
    """Effective frequency per personal channel (defaults filled in)."""
    chosen = dict(ChannelPreference.objects.filter(user_id=user_id).values_list("channel", "frequency"))
    return [
        {
            "channel": key,
            "label": label,
            "frequency": chosen.get(key, DEFAULT_FREQUENCY.get(key, Frequency.OFF)),
        }
        for key, label in channels
    ]


def inbox_of(user_id: int, *, unread_only: bool = False, category: str = "") -> QuerySet[InboxItem]:
    """The user's inbox, newest event first: ordered (and dated on the page) by when the notification was
    created, not by when its inbox row was delivered (a retried or digested delivery arrives late)."""
    qs = InboxItem.objects.filter(user_id=user_id).select_related("notification")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if category:
        qs = qs.filter(notification__category=category)
    return qs.order_by("-notification__created_at", "-id")


def unread_count(user_id: int) -> int:
    return InboxItem.objects.filter(user_id=user_id, read_at__isnull=True).count()


def endpoints_for(membership) -> QuerySet[ChannelEndpoint]:
    """Endpoints the member may manage: all for tenant admins, their teams' for maintainers.

    The failed count is a correlated subquery: joining `deliveries` (every delivery the endpoint ever had)
    and `routes` for two COUNT(DISTINCT) would aggregate their product on every page and API call.
    """
    failed = (
        Delivery.objects.filter(endpoint_id=OuterRef("pk"), state=DeliveryState.FAILED)
        .order_by()
        .annotate(n=Func("pk", function="COUNT"))
        .values("n")
    )
    qs = ChannelEndpoint.objects.select_related("team").annotate(
        failed_count=Subquery(failed), route_count=Count("routes")
    )
    if is_tenant_admin(membership):
        return qs.order_by("team__name", "name", "id")
    return qs.filter(team_id__in=maintained_team_ids(membership)).order_by("team__name", "name", "id")


def routes_of(endpoint: ChannelEndpoint) -> QuerySet[ChannelRoute]:
    return ChannelRoute.objects.filter(endpoint=endpoint).order_by("topic_kind", "topic_label", "topic_id")


def recent_failures(endpoint: ChannelEndpoint, limit: int = 10) -> QuerySet[Delivery]:
    """What the owner needs to fix: deliveries that failed or are being retried, newest first."""
    return (
        Delivery.objects.filter(endpoint=endpoint)
        .filter(Q(state=DeliveryState.FAILED) | Q(state=DeliveryState.PENDING, attempts__gt=0))
        .select_related("notification")
        .order_by("-id")[:limit]
    )
