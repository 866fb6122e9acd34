"""Comments: Markdown (sanitised when shown), official responses, internal notes, soft deletion."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.plugins.api import Membership
from requests_app.models import Comment, FeatureRequest
from requests_app.permissions import can_delete_comment, can_edit_comment, can_participate, can_triage
from requests_app.services import common
from requests_app.services.common import Errors, require


def _is_public(comment: Comment) -> bool:
    return not comment.internal


@transaction.atomic
def comment_create(
    *,
    membership: Membership,
    feature_request: FeatureRequest,
    body: str,
    official: bool = False,
    internal: bool = False,
) -> Comment:
    """Comment on a request. Maintainers of the owning team may mark it as the team's official response
    (followers are told) or keep it as an internal note (only the team and tenant admins see it)."""
    require(can_participate(membership), "Viewers cannot comment.")
    errors = Errors()
    text = common.clean_text(body, "body", common.MAX_COMMENT, errors, required=True)
    if (official or internal) and not can_triage(membership, feature_request):
        errors.add(
            "official" if official else "internal",
            "Only maintainers of the owning team (or tenant admins) can post official responses or "
            "internal notes.",
        )
    if official and internal:
        errors.add("internal", "A comment is either an official response or an internal note, not both.")
    errors.raise_if_any()
    comment = Comment.objects.create(
        request=feature_request, author_id=membership.user_id, body=text, official=official, internal=internal
    )
    if not internal:
        FeatureRequest.objects.filter(pk=feature_request.pk).update(
            comment_count=F("comment_count") + 1, updated_at=timezone.now()
        )
    common.follow(feature_request, [membership.user_id])
    if official:
        common.emit(
            "official_response",
            feature_request,
            comment_id=comment.pk,
            actor_id=membership.user_id,
            body=text,
            recipient_user_ids=common.followers(feature_request, exclude=membership.user_id),
        )
    return comment


@transaction.atomic
def comment_edit(*, membership: Membership, comment: Comment, body: str) -> Comment:
    require(can_edit_comment(membership, comment), "You can only edit your own comments.")
    errors = Errors()
    text = common.clean_text(body, "body", common.MAX_COMMENT, errors, required=True)
    errors.raise_if_any()
    comment.body = text
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


@transaction.atomic
def comment_delete(*, membership: Membership, comment: Comment) -> Comment:
    """Soft delete by its author or a maintainer: the text disappears, "deleted by X on D" stays."""
    feature_request = comment.request
    if comment.deleted_at is not None:
        raise ValidationError({"comment": "This comment is already deleted."})
    require(
        can_delete_comment(membership, comment, feature_request),
        "You can delete your own comments; maintainers of the owning team can delete any.",
    )
    comment.deleted_at = timezone.now()
    comment.deleted_by_id = membership.user_id
    comment.save(update_fields=["deleted_at", "deleted_by"])
    if _is_public(comment):
        FeatureRequest.objects.filter(pk=feature_request.pk, comment_count__gt=0).update(
            comment_count=F("comment_count") - 1
        )
    return comment
