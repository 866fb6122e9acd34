"""Votes: one per person per request, counted exactly under concurrency.

Every vote and unvote first locks the request row (`SELECT ... FOR UPDATE`), then writes the vote row and
moves `vote_count`/`trend_score` by that vote in the same transaction. Concurrent votes on one request
therefore queue on the lock for a few milliseconds, and the stored count always equals the number of vote
rows; the lock also makes "voting is closed" exact against a concurrent merge or status change. Votes are
explicit (vote / unvote), not toggles, so a retried call cannot flip a vote back.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from portal.plugins.api import Membership
from requests_app import trending
from requests_app.models import FeatureRequest, Vote
from requests_app.permissions import can_participate, can_triage
from requests_app.services import common
from requests_app.services.common import require
from requests_app.workflow import LABELS


def _lock(feature_request: FeatureRequest) -> FeatureRequest:
    return (
        FeatureRequest.objects.select_for_update(of=("self",))
        .select_related("capability")
        .get(pk=feature_request.pk)
    )


def _require_open(locked: FeatureRequest) -> None:
    if locked.is_open:
        return
    if locked.duplicate_of_id:
        target = FeatureRequest.objects.filter(pk=locked.duplicate_of_id).values_list("number", flat=True)
        where = f" Vote on #{target.first()}, which it was merged into." if target else ""
        raise ValidationError({"vote": f"Voting is closed: this request is a duplicate.{where}"})
    raise ValidationError({"vote": f"Voting is closed: this request is {LABELS[locked.status].lower()}."})


def add_vote_locked(
    locked: FeatureRequest, *, user_id: int, recorded_by_id: int | None = None, note: str = ""
) -> bool:
    """Insert the vote on a request the caller holds locked (or has just created). False if it existed."""
    weight = trending.vote_weight()
    try:
        with transaction.atomic():
            Vote.objects.create(
                request=locked, user_id=user_id, recorded_by_id=recorded_by_id, note=note[:300], weight=weight
            )
    except IntegrityError:
        return False
    FeatureRequest.objects.filter(pk=locked.pk).update(
        vote_count=F("vote_count") + 1, trend_score=F("trend_score") + weight
    )
    common.follow(locked, [user_id])
    return True


@transaction.atomic
def vote_add(*, membership: Membership, feature_request: FeatureRequest) -> bool:
    """Vote for a request. Idempotent: voting twice keeps one vote (returns False the second time)."""
    require(can_participate(membership), "Viewers cannot vote.")
    locked = _lock(feature_request)
    _require_open(locked)
    return add_vote_locked(locked, user_id=membership.user_id)


@transaction.atomic
def vote_remove(*, membership: Membership, feature_request: FeatureRequest) -> bool:
    """Take one's vote back while voting is open. Idempotent (False when there was no vote)."""
    require(can_participate(membership), "Viewers cannot vote.")
    locked = _lock(feature_request)
    _require_open(locked)
    vote = Vote.objects.filter(request=locked, user_id=membership.user_id).first()
    if vote is None:
        return False
    vote.delete()
    FeatureRequest.objects.filter(pk=locked.pk).update(
        vote_count=F("vote_count") - 1, trend_score=F("trend_score") - vote.weight
    )
    return True


@transaction.atomic
def vote_record(
    *, membership: Membership, feature_request: FeatureRequest, username: str, note: str = ""
) -> bool:
    """A maintainer records a vote for a colleague (heard in a meeting); shown as recorded on their behalf.

    The colleague must be a member of this tenant (not a viewer). False if they had voted already.
    """
    require(
        can_triage(membership, feature_request),
        "Only maintainers of the owning team (or tenant admins) can record votes for others.",
    )
    errors = common.Errors()
    clean_note = common.clean_text(note, "note", 300, errors)
    user = get_user_model().objects.filter(username=username).first()
    voter = Membership.objects.filter(user=user).first() if user is not None else None
    if voter is None:
        errors.add("username", f"'{username}' is not a member of this tenant.")
    elif not can_participate(voter):
        errors.add("username", f"'{username}' is a viewer and cannot vote.")
    errors.raise_if_any()
    locked = _lock(feature_request)
    _require_open(locked)
    return add_vote_locked(locked, user_id=user.pk, recorded_by_id=membership.user_id, note=clean_note)
