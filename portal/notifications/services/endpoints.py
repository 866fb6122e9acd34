"""Team chat endpoints (Slack, Teams, generic webhooks) and the routes that feed them.

Permission checks (maintainer of the endpoint's team, or tenant admin) belong to the callers (pages, API);
these functions validate input and write.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.accounts.models import Team, TeamMembership, TeamRole
from portal.notifications import destinations, topics
from portal.notifications.models import ChannelEndpoint, ChannelRoute, EndpointKind, TopicKind
from portal.tenancy.models import Membership, Role


def validate_url(kind: str, url: str) -> str:
    """Accept only destinations `destinations.problem` finds nothing wrong with (resolving the host now)."""
    url = (url or "").strip()
    if kind not in EndpointKind.values:
        raise ValidationError({"kind": "Unknown endpoint kind."})
    if len(url) > 2000:
        raise ValidationError({"url": "The URL is too long."})
    reason = destinations.problem(kind, url, resolve=True)
    if reason:
        raise ValidationError({"url": reason})
    return url


@transaction.atomic
def endpoint_create(
    *, team: Team, kind: str, name: str, url: str, created_by=None
) -> tuple[ChannelEndpoint, str]:
    """Create an endpoint; returns it and, for generic webhooks, the signing secret (shown once)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the endpoint a name."})
    endpoint = ChannelEndpoint(team=team, kind=kind, name=name[:100], created_by=created_by)
    endpoint.set_url(validate_url(kind, url))
    secret = secrets.token_urlsafe(32) if kind == EndpointKind.WEBHOOK else ""
    endpoint.set_secret(secret)
    try:
        with transaction.atomic():
            endpoint.save()
    except IntegrityError:
        raise ValidationError({"name": "This team already has an endpoint with that name."}) from None
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, endpoint: ChannelEndpoint, name: str | None = None, url: str | None = None
) -> ChannelEndpoint:
    """Rename and/or replace the URL. A new URL re-enables a disabled endpoint (the owner fixed it)."""
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "Give the endpoint a name."})
        endpoint.name = name.strip()[:100]
    if url:
        endpoint.set_url(validate_url(endpoint.kind, url))
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
    try:
        with transaction.atomic():
            endpoint.save()
    except IntegrityError:
        raise ValidationError({"name": "This team already has an endpoint with that name."}) from None
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: ChannelEndpoint) -> str:
    if endpoint.kind != EndpointKind.WEBHOOK:
        raise ValidationError({"kind": "Only generic webhooks are signed."})
    secret = secrets.token_urlsafe(32)
    endpoint.set_secret(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    return secret


@transaction.atomic
def endpoint_enable(*, endpoint: ChannelEndpoint) -> ChannelEndpoint:
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
    endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at"])
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: ChannelEndpoint) -> None:
    endpoint.delete()


def owners_of(team_id: int) -> list[int]:
    """Who hears about an endpoint's trouble: the team's maintainers, else the tenant admins."""
    maintainers = list(
        TeamMembership.objects.filter(team_id=team_id, role=TeamRole.MAINTAINER).values_list(
            "user_id", flat=True
        )
    )
    if maintainers:
        return maintainers
    return list(Membership.objects.filter(role=Role.ADMIN).values_list("user_id", flat=True))


@transaction.atomic
def endpoint_disable(*, endpoint: ChannelEndpoint, reason: str) -> bool:
    """Disable an endpoint that is gone (404/410) and tell its owners, once per disabling."""
    from portal.notifications.engine.publish import notification_publish
    from portal.ui.urls import tenant_reverse

    now = timezone.now()
    changed = ChannelEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_reason=reason[:300], disabled_at=now
    )
    if not changed:
        return False
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason[:300], now
    notification_publish(
        key=f"endpoint-disabled:{endpoint.pk}:{int(now.timestamp())}",
        topic_kind=TopicKind.TENANT,
        topic_id=None,
        category="system",
        title=f"Notifications to “{endpoint.name}” were switched off",
        body_markdown=(
            f"{reason}\n\nAgora stopped posting to the {endpoint.get_kind_display()} endpoint "
            f"“{endpoint.name}” of team {endpoint.team.name}. Update its URL to switch it back on."
        ),
        url=tenant_reverse("notifications:endpoint_detail", pk=endpoint.pk),
        recipient_user_ids=owners_of(endpoint.team_id),
    )
    return True


@transaction.atomic
def route_add(
    *,
    endpoint: ChannelEndpoint,
    topic_kind: str,
    topic_id: int | str | None,
    topic_label: str = "",
    releases: bool = True,
    status: bool = True,
    membership: Membership | None = None,
) -> ChannelRoute:
    """Send a capability's (or every capability's) announcements to `endpoint`.

    `membership`: the person adding the route (pages and API always pass it); the capability must exist
    for them, else UnknownTopic (a 404; a team channel must not confirm a hidden capability's id nor store
    its name). Only trusted callers that name a topic themselves (demo data, tests) leave it out.
    Malformed input is a ValidationError.
    """
    if topic_kind not in {TopicKind.CAPABILITY, TopicKind.TENANT}:
        raise ValidationError({"topic_kind": "A team channel follows a capability or every capability."})
    try:
        kind, number = topics.normalise(topic_kind, topic_id)
    except topics.UnknownTopic:
        raise
    except topics.InvalidTopic as exc:
        raise ValidationError({"topic_id": str(exc)}) from None
    if membership is not None:
        topics.require_visible(kind, number, membership=membership)
    if not (releases or status):
        raise ValidationError({"releases": "Choose releases, status updates or both."})
    route, _ = ChannelRoute.objects.update_or_create(
        endpoint=endpoint,
        topic_kind=kind,
        topic_id=number,
        defaults={
            "releases": releases,
            "status": status,
            "topic_label": topics.label_for(kind, number, (topic_label or "").strip()),
        },
    )
    return route


@transaction.atomic
def route_delete(*, route: ChannelRoute) -> None:
    route.delete()
