"""Following topics, channel preferences, and the one-click unsubscribe."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from portal.notifications import topics
from portal.notifications.models import ChannelPreference, Frequency, Subscription, TopicKind, UserChannel
from portal.notifications.tokens import UnsubscribeTarget
from portal.plugins.registry import notification_channels
from portal.tenancy.context import require_current_tenant
from portal.tenancy.models import Membership


@transaction.atomic
def subscription_follow(
    *,
    user,
    topic_kind: str,
    topic_id: int | str | None,
    topic_label: str = "",
    releases: bool = True,
    status: bool = True,
) -> Subscription:
    """Follow a topic (current tenant); following again re-activates a muted topic.

    The user names the topic, so it must exist for them: another tenant's capability, one restricted to
    teams they are not in, or an id never handed out raise UnknownTopic (a 404), malformed input
    InvalidTopic (a 400); nothing is written either way.
    """
    kind, number = topics.normalise(topic_kind, topic_id)
    topics.require_visible(kind, number, membership=Membership.objects.filter(user_id=user.pk).first())
    if kind in {TopicKind.CAPABILITY, TopicKind.TENANT} and not (releases or status):
        raise topics.InvalidTopic("Choose releases, status updates or both.")
    subscription, _ = Subscription.objects.update_or_create(
        user=user,
        topic_kind=kind,
        topic_id=number,
        defaults={
            "active": True,
            "releases": releases,
            "status": status,
            "topic_label": topics.label_for(kind, number, topic_label.strip()),
        },
    )
    return subscription


@transaction.atomic(savepoint=False)
def subscriptions_ensure(
    *, user_ids: Iterable[int], topic_kind: str, topic_id: int, topic_label: str = "", known: bool = False
) -> None:
    """Make users follow a topic because of something they did (filed, voted, commented on a request).

    Unlike `subscription_follow`, an existing row is left alone: a user who muted the topic (one-click
    unsubscribe) stays muted however often they vote. Set-based, one INSERT; safe under concurrency.
    `known`: the caller holds the topic's row, so its existence is not probed again (votes follow on
    every first vote). No savepoint: a failing INSERT fails the caller's transaction, which is what a
    caller that follows as part of its own write wants.
    """
    kind, number = topics.normalise(topic_kind, topic_id, known=known)
    tenant = require_current_tenant()
    label = topics.label_for(kind, number, topic_label.strip())
    Subscription.objects.bulk_create(
        [
            Subscription(tenant=tenant, user_id=uid, topic_kind=kind, topic_id=number, topic_label=label)
            for uid in sorted(set(user_ids))
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def subscriptions_copy(*, topic_kind: str, from_id: int, to_id: int, topic_label: str = "") -> None:
    """Give every follower of one topic the same row on another (merging duplicates moves followers).

    Users with a row on the target keep it; a muted follower of the source is muted on the target too.
    """
    tenant = require_current_tenant()
    have = Subscription.objects.filter(topic_kind=topic_kind, topic_id=to_id).values("user_id")
    source = Subscription.objects.filter(topic_kind=topic_kind, topic_id=from_id).exclude(user_id__in=have)
    label = topics.label_for(topic_kind, to_id, topic_label.strip())
    Subscription.objects.bulk_create(
        [
            Subscription(
                tenant=tenant, user_id=row.user_id, topic_kind=topic_kind, topic_id=to_id, topic_label=label,
                releases=row.releases, status=row.status, active=row.active,
            )
            for row in source
        ],
        ignore_conflicts=True,
    )  # fmt: skip


@transaction.atomic
def subscription_unfollow(*, user, topic_kind: str, topic_id: int | str | None) -> None:
    kind, number = topics.normalise(topic_kind, topic_id)
    Subscription.objects.filter(user=user, topic_kind=kind, topic_id=number, active=True).delete()


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    """Forget a follow, a muted one included (unlike `subscription_unfollow`, which keeps mutes)."""
    subscription.delete()


@transaction.atomic
def subscription_update(*, subscription: Subscription, releases: bool, status: bool) -> Subscription:
    if subscription.topic_kind != TopicKind.REQUEST and not (releases or status):
        raise topics.InvalidTopic("Choose releases, status updates or both (or unfollow).")
    subscription.releases, subscription.status, subscription.active = releases, status, True
    subscription.save(update_fields=["releases", "status", "active"])
    return subscription


def personal_channels() -> list[tuple[str, str]]:
    """Channels a user can tune: email, inbox and any channel a plugin adds."""
    extra = [(c.key, c.label) for c in notification_channels().values() if c.key not in UserChannel.values]
    return [*UserChannel.choices, *extra]


def allowed_frequencies(channel: str) -> list[str]:
    if channel == UserChannel.EMAIL:
        return list(Frequency.values)
    return [Frequency.IMMEDIATE, Frequency.OFF]  # a digest makes sense for email only


@transaction.atomic
def preference_set(*, user, channel: str, frequency: str) -> ChannelPreference:
    if channel not in dict(personal_channels()):
        raise ValueError(f"Unknown channel {channel!r}.")
    if frequency not in allowed_frequencies(channel):
        raise ValueError(f"{frequency!r} is not available for {channel}.")
    preference, _ = ChannelPreference.objects.update_or_create(
        user=user, channel=channel, defaults={"frequency": frequency}
    )
    return preference


@transaction.atomic
def unsubscribe_by_token(*, target: UnsubscribeTarget) -> str:
    """Apply a one-click unsubscribe in the current tenant (the caller entered `target.tenant_id`).

    A topic token mutes that topic for the user, whatever made them receive it (own follow, tenant-wide
    follow, being a voter); a digest token ("email") turns their email off. Idempotent. Returns what was
    done, for the confirmation page.
    """
    if target.topic_kind == "email":
        ChannelPreference.objects.update_or_create(
            user_id=target.user_id, channel=UserChannel.EMAIL, defaults={"frequency": Frequency.OFF}
        )
        return "email"
    if target.topic_kind == TopicKind.TENANT:
        Subscription.objects.filter(user_id=target.user_id, topic_kind=TopicKind.TENANT).delete()
        return "tenant"
    Subscription.objects.update_or_create(
        user_id=target.user_id,
        topic_kind=target.topic_kind,
        topic_id=target.topic_id,
        defaults={"active": False},
    )
    return "topic"
