"""Reads for catalog pages and API: a constant number of queries whatever the catalog size."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from catalog.models import Capability, CapabilityLink, Tag


def capability_list(*, include_archived: bool = False) -> QuerySet[Capability]:
    qs = Capability.objects.select_related("owner_team").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )
    if not include_archived:
        qs = qs.filter(archived=False)
    return qs.order_by("name")


def capability_detail(*, slug: str) -> Capability | None:
    return (
        Capability.objects.select_related("owner_team")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            Prefetch("links", queryset=CapabilityLink.objects.order_by("kind", "title")),
        )
        .filter(slug=slug)
        .first()
    )
