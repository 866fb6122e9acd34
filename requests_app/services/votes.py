"""Votes: one per person per request, counted exactly under concurrency.

Every vote and unvote first locks the request row (`SELECT ... FOR UPDATE`), then writes the vote row and
moves `vote_count`/`trend_score` by that vote in the same transaction. Concurrent votes on one request
therefore queue on the lock for a few milliseconds, and the stored count always equals the number of vote
rows; the lock also makes "voting is closed" exact against a concurrent merge or status change. Votes are
explicit (vote / unvote), not toggles, so a retried call cannot flip a vote back.

Votes are the board's most frequent write, so each takes few statements: the vote row is inserted with
`ON CONFLICT DO NOTHING` on the (tenant, request, user) unique constraint and deleted with `RETURNING` its
weight (one statement each, no savepoint, no SELECT first), and the locked row is kept equal to what was
written, so callers can answer from it instead of reading the request again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from portal.plugins.api import Membership
from requests_app import trending
from requests_app.models import FeatureRequest, Vote
from requests_app.permissions import can_participate, can_triage
from requests_app.selectors import request_to_vote_on
from requests_app.services import common
from requests_app.services.common import require
from requests_app.workflow import LABELS

# Both statements rely on the unique constraint `uniq_vote_request_user` (and its index) on (tenant, request,
# user): it is what makes one vote per person exact, and what finds a person's vote on a request.
_INSERT_VOTE = (
    "INSERT INTO {table} (tenant_id, request_id, user_id, recorded_by_id, note, weight, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tenant_id, request_id, user_id) DO NOTHING RETURNING id"
)
_DELETE_VOTE = (
    "DELETE FROM {table} WHERE tenant_id = %s AND request_id = %s AND user_id = %s RETURNING weight"
)


def _vote_sql(template: str) -> str:
    return template.format(table=connection.ops.quote_name(Vote._meta.db_table))


@dataclass(frozen=True)
class VoteResult:
    """What a vote did: `created` False when the person had voted already. `request` is the locked row as
    the transaction left it: exact `vote_count` and `trend_score`, capability and author loaded."""

    created: bool
    request: FeatureRequest


def _lock(feature_request: FeatureRequest, *, for_answer: bool = False) -> FeatureRequest:
    """The request row, locked until the commit. `for_answer`: with the capability and author the answer
    shows (`of=("self",)`: only the request row is locked, never the joined ones)."""
    locking = FeatureRequest.objects.select_for_update(of=("self",))
    if for_answer:
        locking = locking.select_related("capability", "author")
    return locking.get(pk=feature_request.pk)


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
    """Insert the vote on a request the caller holds locked (or has just created). False if it existed.

    On a new vote `locked.vote_count`/`trend_score` move by it in memory as in the database: under the
    lock nobody else changes them before the commit, so the caller may show them as they are.
    """
    weight = trending.vote_weight()
    with connection.cursor() as cursor:
        cursor.execute(
            _vote_sql(_INSERT_VOTE),
            [
                locked.tenant_id, locked.pk, user_id, recorded_by_id, note[:300], weight,
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )  # fmt: skip
        if cursor.fetchone() is None:  # the person's vote is there already
            return False
    FeatureRequest.objects.filter(pk=locked.pk).update(
        vote_count=F("vote_count") + 1, trend_score=F("trend_score") + weight
    )
    locked.vote_count += 1
    locked.trend_score += weight
    common.follow(locked, [user_id])
    return True


def _cast(locked: FeatureRequest, *, user_id: int, admit: Callable[[], None] | None = None) -> VoteResult:
    """The vote on a request the caller holds locked: `admit` (the API's rate limit; what it raises
    refuses the vote), voting still open, then the write."""
    if admit is not None:
        admit()
    _require_open(locked)
    return VoteResult(created=add_vote_locked(locked, user_id=user_id), request=locked)


def _uncast(locked: FeatureRequest, *, user_id: int, admit: Callable[[], None] | None = None) -> bool:
    """Take the person's vote off a request the caller holds locked (`admit` as for `_cast`); False when
    there was none."""
    if admit is not None:
        admit()
    _require_open(locked)
    with connection.cursor() as cursor:
        cursor.execute(_vote_sql(_DELETE_VOTE), [locked.tenant_id, locked.pk, user_id])
        row = cursor.fetchone()
    if row is None:
        return False
    (weight,) = row
    FeatureRequest.objects.filter(pk=locked.pk).update(
        vote_count=F("vote_count") - 1, trend_score=F("trend_score") - weight
    )
    return True


@transaction.atomic
def vote_cast_on(
    *, membership: Membership, number: int, admit: Callable[[], None] | None = None
) -> VoteResult | None:
    """`vote_cast` for request `number`, found, locked and checked for visibility in one read
    (`selectors.request_to_vote_on`); None when the member cannot see it. `admit` runs once the request
    is known visible and before anything is written (the API's rate limit: a 404 uses none of it)."""
    locked = request_to_vote_on(membership, number=number, lock=True, for_answer=True)
    if locked is None:
        return None
    require(can_participate(membership), "Viewers cannot vote.")
    return _cast(locked, user_id=membership.user_id, admit=admit)


@transaction.atomic
def vote_remove_on(
    *, membership: Membership, number: int, admit: Callable[[], None] | None = None
) -> bool | None:
    """`vote_remove` for request `number` (see `vote_cast_on`); None when the member cannot see it."""
    locked = request_to_vote_on(membership, number=number, lock=True)
    if locked is None:
        return None
    require(can_participate(membership), "Viewers cannot vote.")
    return _uncast(locked, user_id=membership.user_id, admit=admit)


@transaction.atomic
def _vote(membership: Membership, feature_request: FeatureRequest, *, for_answer: bool) -> VoteResult:
    require(can_participate(membership), "Viewers cannot vote.")
    return _cast(_lock(feature_request, for_answer=for_answer), user_id=membership.user_id)


def vote_cast(*, membership: Membership, feature_request: FeatureRequest) -> VoteResult:
    """Vote for a request, and the request as the vote left it, so the API answers without reading it
    again. Idempotent: voting twice keeps one vote (`created` False the second time)."""
    return _vote(membership, feature_request, for_answer=True)


def vote_add(*, membership: Membership, feature_request: FeatureRequest) -> bool:
    """Vote for a request. Idempotent: voting twice keeps one vote (returns False the second time)."""
    return _vote(membership, feature_request, for_answer=False).created


@transaction.atomic
def vote_remove(*, membership: Membership, feature_request: FeatureRequest) -> bool:
    """Take one's vote back while voting is open. Idempotent (False when there was no vote)."""
    require(can_participate(membership), "Viewers cannot vote.")
    return _uncast(_lock(feature_request), user_id=membership.user_id)


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
