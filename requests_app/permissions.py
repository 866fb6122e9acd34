"""Who may do what on the board. Pages, API and services all ask these functions.

- Members and tenant admins file requests, vote and comment; viewers only read.
- Triage (status changes, merges, official responses, internal notes, votes recorded for someone else,
  demand by team) belongs to maintainers of the team owning the request's capability, and to tenant
  admins. A request filed against no capability is triaged by tenant admins.
- Authors edit their own request while it is open; maintainers edit any request they triage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from portal.plugins.api import Membership, can_maintain, can_write, is_tenant_admin, maintained_team_ids

if TYPE_CHECKING:
    from requests_app.models import Comment, FeatureRequest


def owner_team_id(feature_request: FeatureRequest) -> int | None:
    capability = feature_request.capability
    return capability.owner_team_id if capability is not None else None


def can_triage(membership: Membership | None, feature_request: FeatureRequest) -> bool:
    if is_tenant_admin(membership):
        return True
    team_id = owner_team_id(feature_request)
    return team_id is not None and can_maintain(membership, team_id)


def triage_checker(membership: Membership | None) -> Callable[[FeatureRequest], bool]:
    """`can_triage` for many requests at the cost of one query (pages listing comments of several)."""
    if is_tenant_admin(membership):
        return lambda feature_request: True
    teams = maintained_team_ids(membership)
    return lambda feature_request: owner_team_id(feature_request) in teams


def can_participate(membership: Membership | None) -> bool:
    """File, vote, comment: every role but viewer."""
    return can_write(membership)


def can_edit_request(
    membership: Membership | None, feature_request: FeatureRequest, *, triages: bool | None = None
) -> bool:
    """`triages`: the caller's `can_triage` answer for the request, when it already has it."""
    if membership is None or not can_write(membership):
        return False
    if can_triage(membership, feature_request) if triages is None else triages:
        return True
    return feature_request.author_id == membership.user_id and feature_request.is_open


def can_edit_comment(membership: Membership | None, comment: Comment) -> bool:
    return (
        membership is not None
        and can_write(membership)
        and comment.author_id == membership.user_id
        and comment.deleted_at is None
    )


def can_delete_comment(
    membership: Membership | None,
    comment: Comment,
    feature_request: FeatureRequest,
    *,
    triages: bool | None = None,
) -> bool:
    """`triages`: the caller's `can_triage` answer for the request, when it already has it."""
    if membership is None or comment.deleted_at is not None:
        return False
    if comment.author_id == membership.user_id and can_write(membership):
        return True
    return can_triage(membership, feature_request) if triages is None else triages
