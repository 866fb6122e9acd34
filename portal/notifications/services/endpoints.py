"""Team chat endpoints (Slack, Teams, generic webhooks) and the routes that feed them.

Permission checks (maintainer of the endpoint's team, or tenant admin) belong to the callers (pages, API);
these functions validate input and write.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.accounts.models import Team, TeamMembership, TeamRole
from portal.notifications import destinations, topics
from portal.notifications.models import (
    Category,
    ChannelEndpoint,
    ChannelRoute,
    EndpointKind,
    Notification,
    TopicKind,
)
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


# --- "Send a test message" -----------------------------------------------------------------------------
TEST_MESSAGES_PER_MINUTE = 3  # per endpoint: enough to fix a URL and try again, too few to spam a channel


@dataclass(frozen=True)
class EndpointTestResult:
    """What the owner sees: the status code and our own fixed reason, never the remote answer's body."""

    ok: bool
    status: int | None
    reason: str


class EndpointTestLimited(Exception):
    """Too many test messages to this endpoint this minute."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"At most {TEST_MESSAGES_PER_MINUTE} test messages a minute; try again shortly.")
        self.retry_after = retry_after


def _take_test_slot(endpoint: ChannelEndpoint) -> None:
    """A fixed one-minute window per endpoint in the shared cache (Redis in production)."""
    now = int(timezone.now().timestamp())
    key = f"agora:endpoint-test:{endpoint.tenant_id}:{endpoint.pk}:{now // 60}"
    cache.add(key, 0, timeout=90)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=90)
        used = 1
    if used > TEST_MESSAGES_PER_MINUTE:
        raise EndpointTestLimited(retry_after=60 - now % 60)


def _test_request(endpoint: ChannelEndpoint, notification: Notification) -> tuple[bytes, dict[str, str]]:
    """The body and headers the endpoint's real channel would send for `notification`."""
    from portal.notifications.channels import slack, teams, webhook

    if endpoint.kind == EndpointKind.SLACK:
        return json.dumps(slack.payload(notification)).encode(), {}
    if endpoint.kind == EndpointKind.TEAMS:
        return teams.payload_bytes(notification), {}
    delivery = SimpleNamespace(pk=f"test-{uuid.uuid4()}", notification=notification)
    body = json.dumps(webhook.payload(delivery), separators=(",", ":")).encode()
    return body, {
        "X-Agora-Delivery": str(delivery.pk),
        "X-Agora-Signature": webhook.sign(endpoint.secret, body),
        "X-Agora-Test": "1",
    }


def endpoint_send_test(*, endpoint: ChannelEndpoint, actor: Membership | None) -> EndpointTestResult:
    """Post a test message to `endpoint` now, through its channel's payload and the guarded client.

    A direct send rather than a durable delivery: the owner waits for the answer on the page. The same
    rules as every send apply (`destinations.problem`, then the guard of `portal.security.outbound`, which
    refuses internal addresses unless the operator's allowlist names them). Nothing about the endpoint's
    health changes (a test is not a notification), but the attempt and its outcome are audited.
    Raises EndpointTestLimited past TEST_MESSAGES_PER_MINUTE for this endpoint.
    """
    from portal.accounts.services.audit import audit_record
    from portal.notifications.channels.http import post_json
    from portal.ui.urls import tenant_reverse

    _take_test_slot(endpoint)
    notification = Notification(
        tenant_id=endpoint.tenant_id,
        key=f"endpoint-test:{endpoint.pk}",
        topic_kind=TopicKind.TENANT,
        category=Category.SYSTEM,
        title=f"Test message from Agora to “{endpoint.name}”",
        body_markdown=(
            f"If you can read this, team {endpoint.team.name}'s {endpoint.get_kind_display()} endpoint "
            "works: "
            "releases and status updates routed to it will arrive here."
        ),
        url=tenant_reverse("notifications:endpoint_detail", pk=endpoint.pk),
        created_at=timezone.now(),
    )
    problem = destinations.problem(endpoint.kind, endpoint.url)
    if problem:
        result = EndpointTestResult(ok=False, status=None, reason=f"refused: {problem}")
    else:
        body, headers = _test_request(endpoint, notification)
        answer = post_json(endpoint.url, body, headers or None)
        ok = answer.status is not None and 200 <= answer.status < 300
        result = EndpointTestResult(ok=ok, status=answer.status, reason=answer.reason)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="endpoint.test",
            target=endpoint,
            target_label=f"{endpoint.name} ({endpoint.get_kind_display()}, {endpoint.team.name})",
            after={"ok": result.ok, "status": result.status, "reason": result.reason},
        )
    return result
