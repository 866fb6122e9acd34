"""Event handlers of the catalog's releases: turn domain events into notifications.

Registered in `catalog.plugin.CatalogPlugin.event_handlers`. The events dispatcher runs each handler once
per event (in the event's tenant); `notification_publish` is idempotent on `key`, so a retried handler
never notifies twice either.

Team-restricted capabilities: their announcements must not reach people who cannot see the capability. The
core's default routing (topic subscribers + tenant-wide subscribers + team channel routes) does not know
about catalog visibility, so for those capabilities the recipients are listed explicitly: followers of the
capability or of the whole tenant who may see it.
"""

from __future__ import annotations

from catalog.models import Capability, CapabilityVisibility, Status, Visibility
from catalog.releases.models import Release, ReleaseKind
from portal.plugins.api import (
    Event,
    Membership,
    Role,
    TeamMembership,
    notification_publish,
    topic_follower_ids,
)

STATUS_LABELS = dict(Status.choices)
KIND_LABELS = dict(ReleaseKind.choices)


def _recipients(capability: Capability | None) -> list[int] | None:
    """None (the default routing) unless the capability is restricted to some teams."""
    if capability is None or capability.visibility != Visibility.TEAMS:
        return None
    followers = topic_follower_ids(topic_kind="capability", topic_id=capability.pk) | topic_follower_ids(
        topic_kind="tenant", topic_id=None
    )
    # The rule of catalog.selectors.visible_capabilities, set-based: tenant admins, members of the owning
    # team and of the teams it is shown to.
    teams = {capability.owner_team_id} | set(
        CapabilityVisibility.objects.filter(capability=capability).values_list("team_id", flat=True)
    )
    admins = Membership.objects.filter(user_id__in=followers, role=Role.ADMIN).values_list(
        "user_id", flat=True
    )
    in_teams = TeamMembership.objects.filter(user_id__in=followers, team_id__in=teams).values_list(
        "user_id", flat=True
    )
    members = set(Membership.objects.filter(user_id__in=followers).values_list("user_id", flat=True))
    return sorted((set(admins) | set(in_teams)) & members)


def notify_release_published(event: Event) -> None:
    payload = event.payload
    release = Release.objects.filter(pk=payload["release_id"]).select_related("capability").first()
    capability = release.capability if release is not None else None
    kind = KIND_LABELS.get(payload.get("kind", ""), "Release")
    lines = [f"**{kind}** · {payload['capability_name']} {payload['version']}", ""]
    if release is not None:
        if release.notes:
            lines += [release.notes, ""]
        if release.upgrade_notes:
            lines += ["### Upgrade notes", "", release.upgrade_notes, ""]
    if payload.get("ships_request_numbers"):
        lines.append("Ships requests " + ", ".join(f"#{n}" for n in payload["ships_request_numbers"]) + ".")
    notification_publish(
        key=f"event:{event.pk}",
        topic_kind="capability",
        topic_id=payload["capability_id"],
        category="release",
        title=f"{payload['capability_name']} {payload['version']}: {payload['title']}",
        body_markdown="\n".join(lines).strip(),
        url=payload["url"],
        recipient_user_ids=_recipients(capability),
        topic_label=payload["capability_name"],
    )


def notify_status_update_posted(event: Event) -> None:
    payload = event.payload
    capability = Capability.objects.filter(pk=payload["capability_id"]).first()
    label = "Resolved" if payload.get("resolved") else STATUS_LABELS.get(payload["status"], payload["status"])
    notification_publish(
        key=f"event:{event.pk}",
        topic_kind="capability",
        topic_id=payload["capability_id"],
        category="status",
        title=f"{payload['capability_name']}: {label}",
        body_markdown=payload.get("message", ""),
        url=payload["url"],
        recipient_user_ids=_recipients(capability),
        topic_label=payload["capability_name"],
    )
