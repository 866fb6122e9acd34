"""Merging duplicates, and shipping requests from a published release (closing the loop)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from portal.plugins.api import Membership, subscriptions_copy
from requests_app.models import FeatureRequest, HistoryKind, RequestStatus, RequestTag, Vote
from requests_app.permissions import can_triage
from requests_app.services import common
from requests_app.services.common import Errors, require
from requests_app.services.requests import change_status_locked

logger = logging.getLogger(__name__)


def _recount(feature_request: FeatureRequest) -> None:
    totals = Vote.objects.filter(request=feature_request).aggregate(n=Count("id"), w=Sum("weight"))
    FeatureRequest.objects.filter(pk=feature_request.pk).update(
        vote_count=totals["n"] or 0, trend_score=totals["w"] or 0.0, updated_at=timezone.now()
    )


def merge_target_refusal(target: FeatureRequest) -> str:
    """Why `target` cannot receive a merge from this member: the page's form error and the API's 403."""
    if target.capability_id is None:
        return f"You cannot merge into #{target.number}: it has no capability, so only tenant admins can."
    return (
        f"You cannot merge into #{target.number}: only maintainers of the team owning its capability "
        "(or tenant admins) can change it."
    )


@transaction.atomic
def request_merge(
    *, membership: Membership, source: FeatureRequest, target: FeatureRequest, note: str = ""
) -> FeatureRequest:
    """Close `source` as a duplicate of `target`, moving its demand there. Returns the updated target.

    - Votes move; a person who voted for both keeps one vote (on the target): counts stay exact.
    - Followers of the source follow the target (muted ones stay muted).
    - Tags join the target's; requests already merged into the source now point at the target.
    - The source's comments stay on it and are shown on the target's page under "From duplicates".
    - Works when the target is closed (shipped, declined): nothing is dropped, its count still grows.
    - Needs triage rights on both requests (`can_triage`): PermissionDenied otherwise, nothing changed.
    Both rows are locked (in id order, so two opposite merges cannot deadlock) before anything is read.
    """
    require(
        can_triage(membership, source),
        "Only maintainers of the owning team (or tenant admins) can merge this request.",
    )
    # The target receives votes, followers, tags and a history entry: a merge changes it as much as the
    # source, so it needs the same triage rights (else a maintainer of A could write into B of another team).
    require(can_triage(membership, target), merge_target_refusal(target))
    errors = Errors()
    clean_note = common.clean_text(note, "note", common.MAX_NOTE, errors)
    if source.pk == target.pk:
        errors.add("into", "A request cannot be merged into itself.")
    errors.raise_if_any()
    locked = {
        r.pk: r
        for r in FeatureRequest.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.status == RequestStatus.DUPLICATE:
        errors.add("into", f"#{source.number} is already merged into another request.")
    if target.status == RequestStatus.DUPLICATE:
        into = (
            FeatureRequest.objects.filter(pk=target.duplicate_of_id).values_list("number", flat=True).first()
        )
        errors.add("into", f"#{target.number} is itself a duplicate of #{into}; merge into #{into} instead.")
    errors.raise_if_any()

    told = common.followers(source, exclude=membership.user_id)
    both = Vote.objects.filter(request=target).values("user_id")
    moved = Vote.objects.filter(request=source).exclude(user_id__in=both).update(request=target)
    overlapping = Vote.objects.filter(request=source).count()
    Vote.objects.filter(request=source).delete()
    subscriptions_copy(
        topic_kind="request", from_id=source.pk, to_id=target.pk, topic_label=common.label_of(target)
    )
    have = set(RequestTag.objects.filter(request=target).values_list("name", flat=True))
    RequestTag.objects.bulk_create(
        [
            RequestTag(request=target, name=name, tenant_id=target.tenant_id)
            for name in RequestTag.objects.filter(request=source).values_list("name", flat=True)
            if name not in have
        ]
    )
    FeatureRequest.objects.filter(duplicate_of=source).update(duplicate_of=target)
    _recount(target)
    _recount(source)

    previous = source.status
    source.status, source.duplicate_of = RequestStatus.DUPLICATE, target
    source.status_changed_at = timezone.now()
    source.save(update_fields=["status", "duplicate_of", "status_changed_at", "updated_at"])
    summary = f"Merged into #{target.number}: {moved} vote{'s' if moved != 1 else ''} moved"
    if overlapping:
        summary += f", {overlapping} already voted there"
    common.record_history(
        source, from_status=previous, to_status=RequestStatus.DUPLICATE, note=clean_note or summary + ".",
        related=target, actor_id=membership.user_id,
    )  # fmt: skip
    common.record_history(
        target, kind=HistoryKind.MERGED_IN, note=clean_note, related=source, actor_id=membership.user_id
    )
    common.emit(
        "merged",
        source,
        target_id=target.pk,
        target_number=target.number,
        target_title=target.title,
        target_url=common.request_url(target),
        moved_votes=moved,
        note=clean_note,
        actor_id=membership.user_id,
        recipient_user_ids=told,
    )
    target.refresh_from_db()
    return target


@transaction.atomic
def requests_ship(
    *, numbers: Iterable[int], capability_id: int, shipped_in: str, url: str, actor_id: int | None
) -> list[FeatureRequest]:
    """Mark the requests a published release ships as shipped, telling their voters and followers.

    A number names a request of the release's capability (or of none); a duplicate ships the request it
    was merged into. Unknown numbers, requests of another capability and already shipped ones are skipped
    (logged): the release is published already and must not fail because of a typo in its list.
    """
    wanted = sorted({int(n) for n in numbers})
    found = {r.number: r for r in FeatureRequest.objects.filter(number__in=wanted)}
    targets: dict[int, FeatureRequest] = {}
    for number in wanted:
        item = found.get(number)
        if item is not None and item.status == RequestStatus.DUPLICATE:
            item = FeatureRequest.objects.filter(pk=item.duplicate_of_id).first()
        if item is None or item.capability_id not in (None, capability_id):
            logger.info(
                "release of capability %s ships #%s: no such request of it; skipped", capability_id, number
            )
            continue
        targets[item.pk] = item
    shipped = []
    for locked in FeatureRequest.objects.select_for_update().filter(pk__in=list(targets)).order_by("pk"):
        if locked.status in (RequestStatus.SHIPPED, RequestStatus.DUPLICATE):
            continue
        note = f"Shipped in [{shipped_in}]({url})." if url else f"Shipped in {shipped_in}."
        shipped.append(
            change_status_locked(
                locked,
                status=RequestStatus.SHIPPED,
                note=note,
                actor_id=actor_id,
                shipped_in=shipped_in,
                shipped_in_url=url,
            )
        )
    return shipped
