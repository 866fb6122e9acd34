"""Demo rows: follows, a digest preference, a (disabled) team Slack channel and a welcome in every inbox.

Called by `manage.py seed_demo` inside each demo tenant. Nothing here sends anything: the welcome
notification is recorded as already fanned out, and the demo Slack endpoint starts disabled (its URL is
a placeholder) so the demo never posts to the internet.
"""

from __future__ import annotations

from django.utils import timezone

from portal.notifications.models import (
    ChannelEndpoint,
    ChannelPreference,
    ChannelRoute,
    Delivery,
    EndpointKind,
    Frequency,
    InboxItem,
    Notification,
    Subscription,
    TopicKind,
)


def load(*, tenant, teams, users) -> None:
    now = timezone.now()
    people = list(users.values())
    for index, user in enumerate(people):
        Subscription.objects.get_or_create(
            user=user,
            topic_kind=TopicKind.TENANT,
            topic_id=0,
            defaults={"releases": True, "status": index % 2 == 0},
        )
    if len(people) > 1:
        ChannelPreference.objects.get_or_create(
            user=people[1], channel="email", defaults={"frequency": Frequency.DAILY}
        )
    team = next(iter(teams.values()), None)
    if team is not None:
        endpoint = ChannelEndpoint(
            team=team,
            kind=EndpointKind.SLACK,
            name=f"{team.chat_channel or team.name} (demo)",
            enabled=False,
            disabled_reason="Demo endpoint: replace the URL with your team's incoming webhook.",
            disabled_at=now,
        )
        endpoint.set_url("https://hooks.slack.com/services/T00000000/B00000000/demo-placeholder")
        endpoint.save()
        ChannelRoute.objects.create(endpoint=endpoint, topic_kind=TopicKind.TENANT, topic_id=0)
    welcome = Notification.objects.create(
        key="demo:welcome",
        topic_kind=TopicKind.TENANT,
        topic_id=0,
        category="system",
        title=f"Welcome to Agora at {tenant.name}",
        body_markdown="Follow capabilities and feature requests to hear about **releases** and **status "
        "changes** here, by email or in your team's chat.",
        url="",
        recipient_user_ids=[u.pk for u in people],
        fanout_started_at=now,
        fanned_out_at=now,
    )
    InboxItem.objects.bulk_create(
        [InboxItem(tenant_id=tenant.pk, user=user, notification=welcome) for user in people],
        ignore_conflicts=True,
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                tenant_id=tenant.pk,
                notification=welcome,
                channel="inbox",
                recipient=user,
                state="sent",
                attempts=1,
                next_attempt_at=now,
                sent_at=now,
            )
            for user in people
        ],
        ignore_conflicts=True,
    )
