"""Writes for the catalog. One transaction per use case; events are emitted in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import Capability, CapabilityLink, CapabilityTag, Tag
from portal.plugins.api import Team, event_emit


@transaction.atomic
def capability_create(
    *,
    name: str,
    owner_team: Team,
    slug: str = "",
    summary: str = "",
    description: str = "",
    category: str = "",
    lifecycle: str = "ga",
    support_channel: str = "",
    tags: Iterable[str] = (),
    links: Iterable[tuple[str, str, str]] = (),
) -> Capability:
    """Create a capability with its tags and `(kind, title, url)` links."""
    capability = Capability.objects.create(
        name=name,
        slug=slug or slugify(name),
        summary=summary,
        description=description,
        category=category,
        lifecycle=lifecycle,
        owner_team=owner_team,
        support_channel=support_channel,
    )
    capability_set_tags(capability=capability, tags=tags)
    CapabilityLink.objects.bulk_create(
        [
            CapabilityLink(capability=capability, kind=k, title=t, url=u, tenant_id=capability.tenant_id)
            for k, t, u in links
        ]
    )
    event_emit("catalog.capability_created", {"capability_id": capability.pk, "slug": capability.slug})
    return capability


@transaction.atomic
def capability_set_tags(*, capability: Capability, tags: Iterable[str]) -> None:
    names = sorted({slugify(t) for t in tags if slugify(t)})
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n, tenant_id=capability.tenant_id) for n in names if n not in existing]
    for tag in Tag.objects.bulk_create(missing):
        existing[tag.name] = tag
    CapabilityTag.objects.filter(capability=capability).exclude(tag__name__in=names).delete()
    have = set(CapabilityTag.objects.filter(capability=capability).values_list("tag__name", flat=True))
    CapabilityTag.objects.bulk_create(
        [
            CapabilityTag(capability=capability, tag=existing[n], tenant_id=capability.tenant_id)
            for n in names
            if n not in have
        ]
    )


@transaction.atomic
def capability_set_status(*, capability: Capability, status: str, message: str = "") -> Capability:
    capability.status = status
    capability.status_message = message
    capability.status_changed_at = timezone.now()
    capability.save(update_fields=["status", "status_message", "status_changed_at", "updated_at"])
    event_emit(
        "catalog.status_changed", {"capability_id": capability.pk, "status": status, "message": message}
    )
    return capability
