"""Following topics, channel preferences, and the one-click unsubscribe."""

from __future__ import annotations

from django.db import transaction

from portal.notifications import topics
from portal.notifications.models import ChannelPreference, Frequency, Subscription, TopicKind, UserChannel
from portal.notifications.tokens import UnsubscribeTarget
from portal.plugins.registry import notification_channels


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
    """Follow a topic (current tenant); following again re-activates a muted topic. Raises InvalidTopic."""
    kind, number = topics.normalise(topic_kind, topic_id)
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


@transaction.atomic
def subscription_unfollow(*, user, topic_kind: str, topic_id: int | str | None) -> None:
    kind, number = topics.normalise(topic_kind, topic_id)
    Subscription.objects.filter(user=user, topic_kind=kind, topic_id=number, active=True).delete()


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
