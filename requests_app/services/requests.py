"""Filing, editing and triaging feature requests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Capability
from portal.plugins.api import Membership, require_current_tenant
from requests_app import search, workflow
from requests_app.models import FeatureRequest, RequestSequence, RequestStatus, RequestTag, Vote
from requests_app.permissions import can_edit_request, can_participate, can_triage
from requests_app.services import common
from requests_app.services.common import Errors, require
from requests_app.services.votes import add_vote_locked

_UNSET: Any = object()


def _next_number() -> int:
    """The tenant's next request number. The UPDATE holds the sequence row's lock until commit, so
    concurrent filings wait for each other and never get the same number (a rolled-back one frees its)."""
    if not RequestSequence.objects.update(last_number=F("last_number") + 1):
        try:
            with transaction.atomic():
                RequestSequence.objects.create(tenant=require_current_tenant(), last_number=0)
        except IntegrityError:
            pass  # a concurrent first filing created it
        RequestSequence.objects.update(last_number=F("last_number") + 1)
    return RequestSequence.objects.values_list("last_number", flat=True).get()


def _set_tags(feature_request: FeatureRequest, tags: list[str]) -> None:
    RequestTag.objects.filter(request=feature_request).exclude(name__in=tags).delete()
    have = set(RequestTag.objects.filter(request=feature_request).values_list("name", flat=True))
    RequestTag.objects.bulk_create(
        [
            RequestTag(request=feature_request, name=name, tenant_id=feature_request.tenant_id)
            for name in tags
            if name not in have
        ]
    )


def _check_capability(capability: Capability | None, errors: Errors) -> None:
    # Callers resolve capabilities through the member's visible queryset; a cross-tenant object here would
    # be a caller bug, and foreign keys bypass row-level security, so check again.
    if capability is not None and capability.tenant_id != require_current_tenant().pk:
        errors.add("capability", "That capability does not exist in this tenant.")


@transaction.atomic
def request_create(
    *,
    membership: Membership,
    title: str,
    body: str = "",
    capability: Capability | None = None,
    tags: Iterable[str] = (),
) -> FeatureRequest:
    """File a request. The author votes for it and follows it."""
    require(can_participate(membership), "Viewers can read the board but not file requests.")
    errors = Errors()
    clean_title = common.clean_title(title, errors)
    clean_body = common.clean_text(body, "body", common.MAX_BODY, errors)
    clean_tags = common.clean_tags(tags, errors)
    _check_capability(capability, errors)
    errors.raise_if_any()
    feature_request = FeatureRequest.objects.create(
        number=_next_number(),
        title=clean_title,
        body=clean_body,
        capability=capability,
        author_id=membership.user_id,
        status_changed_at=timezone.now(),
    )
    _set_tags(feature_request, clean_tags)
    search.refresh(feature_request)
    add_vote_locked(feature_request, user_id=membership.user_id)
    common.emit("request_created", feature_request, author_id=membership.user_id)
    return feature_request


@transaction.atomic
def request_update(
    *,
    membership: Membership,
    feature_request: FeatureRequest,
    title: str = _UNSET,
    body: str = _UNSET,
    tags: Iterable[str] = _UNSET,
    capability: Capability | None = _UNSET,
) -> FeatureRequest:
    """Edit what was asked: the author while it is open, triagers always. Only given fields change."""
    require(
        can_edit_request(membership, feature_request),
        "Only the author (while the request is open) or the owning team can edit it.",
    )
    errors = Errors()
    changes: dict[str, Any] = {}
    if title is not _UNSET:
        changes["title"] = common.clean_title(title, errors)
    if body is not _UNSET:
        changes["body"] = common.clean_text(body, "body", common.MAX_BODY, errors)
    if capability is not _UNSET:
        _check_capability(capability, errors)
        changes["capability"] = capability
    clean_tags = common.clean_tags(tags, errors) if tags is not _UNSET else None
    errors.raise_if_any()
    changed = [field for field, value in changes.items() if getattr(feature_request, field) != value]
    if clean_tags is not None and clean_tags != sorted(feature_request.tags.values_list("name", flat=True)):
        changed.append("tags")
    if not changed:
        return feature_request  # nothing to save, nobody to tell
    for field in changed:
        if field != "tags":
            setattr(feature_request, field, changes[field])
    feature_request.save()
    if "tags" in changed:
        _set_tags(feature_request, clean_tags or [])
    search.refresh(feature_request)
    common.emit("request_updated", feature_request, actor_id=membership.user_id, changed=sorted(changed))
    return feature_request


def change_status_locked(
    feature_request: FeatureRequest,
    *,
    status: str,
    note: str,
    actor_id: int | None,
    shipped_in: str = "",
    shipped_in_url: str = "",
) -> FeatureRequest:
    """Move a locked, open-for-that-move request to `status`, record history, tell its followers."""
    previous = feature_request.status
    feature_request.status = status
    feature_request.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at", "updated_at"]
    if status == RequestStatus.SHIPPED:
        feature_request.shipped_in, feature_request.shipped_in_url = shipped_in[:300], shipped_in_url[:500]
        fields += ["shipped_in", "shipped_in_url"]
    feature_request.save(update_fields=fields)
    common.record_history(
        feature_request, from_status=previous, to_status=status, note=note, actor_id=actor_id
    )
    common.emit(
        "status_changed",
        feature_request,
        from_status=previous,
        to_status=status,
        note=note,
        actor_id=actor_id,
        shipped_in=feature_request.shipped_in if status == RequestStatus.SHIPPED else "",
        recipient_user_ids=common.followers(feature_request, exclude=actor_id),
        # Who filed it and who voted: "your request shipped" is worded for each (see handlers).
        author_id=feature_request.author_id,
        voter_ids=sorted(Vote.objects.filter(request=feature_request).values_list("user_id", flat=True))
        if status == RequestStatus.SHIPPED
        else [],
    )
    return feature_request


@transaction.atomic
def request_set_status(
    *, membership: Membership, feature_request: FeatureRequest, status: str, note: str = ""
) -> FeatureRequest:
    """Triage: move the request along the workflow (see `requests_app.workflow`) with a public note."""
    require(
        can_triage(membership, feature_request),
        "Only maintainers of the owning team (or tenant admins) can change the status.",
    )
    locked = (
        FeatureRequest.objects.select_for_update(of=("self",))
        .select_related("capability")
        .get(pk=feature_request.pk)
    )
    errors = Errors()
    clean_note = common.clean_text(note, "note", common.MAX_NOTE, errors)
    problem = workflow.transition_error(locked.status, status)
    if problem:
        errors.add("status", problem)
    errors.raise_if_any()
    return change_status_locked(locked, status=status, note=clean_note, actor_id=membership.user_id)
