"""Writes for adoption: record a team's move on a capability, set the capability's adoption rule.

State machine (anything else is a `ValidationError` naming the states):

    (none)     -> evaluating | onboarded
    evaluating -> onboarded | offboarded
    onboarded  -> offboarded
    offboarded -> evaluating | onboarded

A move may be backdated (teams record what already happened) but never into the future, and never before
the adoption's previous move: the history must read in order, or the weekly series would be fiction.

Who may record: maintainers of the team (for their own team), the capability's owners (maintainers of its
owner team) and tenant admins; viewers never. Only eligible teams may start evaluating or onboard (a team
that stopped being eligible may still be offboarded). Every move emits `insights.adoption_changed`.

Inference (`adoption_infer_from_deployment`) goes through the same locked move, so a handler that runs twice
records one move: the second run finds the team onboarded already.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.insights.models import Adoption, AdoptionChange, AdoptionRule, AdoptionState, EligibleTeam
from catalog.insights.models.adoption import AdoptionSource
from portal.plugins.api import (
    Membership,
    Team,
    can_maintain,
    can_write,
    event_emit,
    get_current_tenant,
)

NONE = ""
ALLOWED: dict[str, frozenset[str]] = {
    NONE: frozenset({AdoptionState.EVALUATING, AdoptionState.ONBOARDED}),
    AdoptionState.EVALUATING: frozenset({AdoptionState.ONBOARDED, AdoptionState.OFFBOARDED}),
    AdoptionState.ONBOARDED: frozenset({AdoptionState.OFFBOARDED}),
    AdoptionState.OFFBOARDED: frozenset({AdoptionState.EVALUATING, AdoptionState.ONBOARDED}),
}
LABELS = dict(AdoptionState.choices) | {NONE: "not adopted"}
MAX_NOTE = 300
MAX_RULE_TEXT = 100


# --- permissions ------------------------------------------------------------------------------------------
def may_own(membership: Membership | None, capability: Any) -> bool:
    """Owners (maintainers of the owner team) and tenant admins set rules and record any team's moves."""
    return can_write(membership) and can_maintain(membership, capability.owner_team_id)


def may_record(membership: Membership | None, capability: Any, team_id: int) -> bool:
    """Owners record for any team; a team's own maintainers for their team. Viewers never."""
    if not can_write(membership):
        return False
    return may_own(membership, capability) or can_maintain(membership, team_id)


def eligible_team_ids(capability: Any, rule: AdoptionRule | None) -> set[int]:
    """The rule's teams: listed ones, or every team of the tenant but the owner (the default)."""
    if rule is not None and rule.eligibility == AdoptionRule.Eligibility.LISTED:
        return set(EligibleTeam.objects.filter(capability_id=capability.pk).values_list("team_id", flat=True))
    return set(Team.objects.exclude(pk=capability.owner_team_id).values_list("pk", flat=True))


def allowed_moves(state: str) -> list[str]:
    """The states a team in `state` may move to, in the machine's order (for forms and the API)."""
    return [s for s in AdoptionState.values if s in ALLOWED.get(state, frozenset())]


# --- the move ---------------------------------------------------------------------------------------------
def _check_same_tenant(capability: Any, team: Any) -> None:
    tenant = get_current_tenant()  # FK checks bypass row-level security: check the tenant ourselves
    errors = {}
    if tenant is None or getattr(capability, "tenant_id", None) != tenant.pk:
        errors["capability"] = "That capability does not exist in this tenant."
    if tenant is None or not isinstance(team, Team) or team.tenant_id != tenant.pk:
        errors["team"] = "That team does not exist in this tenant."
    if errors:
        raise ValidationError(errors)


def _locked_adoption(capability: Any, team: Team) -> Adoption | None:
    return Adoption.objects.select_for_update().filter(capability_id=capability.pk, team_id=team.pk).first()


def _apply(adoption: Adoption, state: str, at: datetime) -> None:
    """The current-cycle dates: re-entering evaluating or onboarded starts a new cycle."""
    previous = adoption.state
    if state == AdoptionState.EVALUATING:
        adoption.evaluating_since, adoption.onboarded_at, adoption.offboarded_at = at, None, None
    elif state == AdoptionState.ONBOARDED:
        if previous != AdoptionState.EVALUATING:
            adoption.evaluating_since = None
        adoption.onboarded_at, adoption.offboarded_at = at, None
    else:
        adoption.offboarded_at = at
    adoption.state = state


def move_locked(
    *,
    capability: Any,
    team: Team,
    state: str,
    effective_at: datetime,
    source: str,
    user: Any,
    note: str,
    eligible: set[int] | None,
    quiet_if_done: bool = False,
) -> AdoptionChange | None:
    """Lock the adoption (or create it), check the move, record it. Inside the caller's transaction.

    `quiet_if_done`: inference asks "onboard unless onboarded"; a team already there is no error.
    """
    adoption = _locked_adoption(capability, team)
    if adoption is None:
        try:
            with transaction.atomic():  # a concurrent first move of the same team: one row, then lock it
                Adoption.objects.create(
                    capability_id=capability.pk, team=team, state=AdoptionState.EVALUATING, source=source
                )
        except IntegrityError:
            pass
        adoption = _locked_adoption(capability, team)
        assert adoption is not None
        created = not adoption.changes.exists()
    else:
        created = False
    current = NONE if created else adoption.state
    if quiet_if_done and current == state:
        return None
    if state not in ALLOWED[current]:
        raise ValidationError(
            {
                "state": f"{team.name} is {LABELS[current]} for {capability.name}: it cannot move to "
                f"{LABELS.get(state, state)}. Allowed: "
                f"{', '.join(LABELS[s] for s in allowed_moves(current)) or 'none'}."
            }
        )
    if eligible is not None and state != AdoptionState.OFFBOARDED and team.pk not in eligible:
        raise ValidationError(
            {
                "team": f"{team.name} is not eligible for {capability.name}; "
                "its owners can list it as eligible."
            }
        )
    last = adoption.changes.order_by("-effective_at", "-pk").first()
    if last is not None and effective_at < last.effective_at:
        if quiet_if_done:
            effective_at = last.effective_at  # a late deployment: the move cannot predate the history
        else:
            raise ValidationError(
                {
                    "effective_at": f"The previous move ({LABELS[last.to_state]}) is effective "
                    f"{last.effective_at:%Y-%m-%d %H:%M} UTC; a later move cannot be dated before it."
                }
            )
    from_state = current
    _apply(adoption, state, effective_at)
    adoption.source = source
    adoption.save()
    change = AdoptionChange.objects.create(
        adoption=adoption,
        from_state=from_state,
        to_state=state,
        effective_at=effective_at,
        recorded_by=user,
        source=source,
        note=note,
    )
    event_emit(
        "insights.adoption_changed",
        {
            "adoption_id": adoption.pk,
            "capability_id": capability.pk,
            "team_id": team.pk,
            "from_state": from_state,
            "to_state": state,
            "effective_at": effective_at.isoformat(),
            "source": source,
        },
    )
    return change


def _clean_when(effective_at: datetime | None) -> datetime:
    now = timezone.now()
    if effective_at is None:
        return now
    if timezone.is_naive(effective_at):
        raise ValidationError({"effective_at": "Give the date with its time zone (ISO 8601, e.g. ...Z)."})
    if effective_at > now:
        raise ValidationError(
            {"effective_at": "A move cannot be dated in the future; record it when it happens."}
        )
    return effective_at


def adoption_set(
    *,
    membership: Membership,
    capability: Any,
    team: Team,
    state: str,
    effective_at: datetime | None = None,
    note: str = "",
) -> AdoptionChange:
    """Record `team` moving to `state` for `capability` (effective now, or at a past `effective_at`).

    Raises PermissionDenied if the member may not record for this team, ValidationError for a move the state
    machine refuses, an ineligible team, a future date or one before the previous move.
    """
    _check_same_tenant(capability, team)
    if state not in AdoptionState.values:
        raise ValidationError({"state": f"Choose one of: {', '.join(AdoptionState.values)}."})
    if not may_record(membership, capability, team.pk):
        raise PermissionDenied(
            "Only the team's maintainers, the capability's owners or tenant admins can record adoption."
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"At most {MAX_NOTE} characters."})
    when = _clean_when(effective_at)
    with transaction.atomic():
        rule = AdoptionRule.objects.filter(capability_id=capability.pk).first()
        change = move_locked(
            capability=capability,
            team=team,
            state=state,
            effective_at=when,
            source=AdoptionSource.MANUAL,
            user=membership.user,
            note=note,
            eligible=eligible_team_ids(capability, rule),
        )
    assert change is not None
    return change


# --- the rule ---------------------------------------------------------------------------------------------
def adoption_rule_set(
    *,
    membership: Membership,
    capability: Any,
    eligibility: str,
    teams: Iterable[Team] = (),
    environment: str = "",
    repo_topic: str = "",
) -> AdoptionRule:
    """Owners choose the eligible teams (all, or a list) and how adoption is inferred from deployments.

    The list is replaced as a whole; teams already adopting stay in the history whatever the list says.
    """
    if getattr(capability, "tenant_id", None) != getattr(get_current_tenant(), "pk", None):
        raise ValidationError({"capability": "That capability does not exist in this tenant."})
    if not may_own(membership, capability):
        raise PermissionDenied(
            "Only the capability's owners (or tenant admins) can change its adoption rule."
        )
    errors: dict[str, str] = {}
    if eligibility not in AdoptionRule.Eligibility.values:
        errors["eligibility"] = f"Choose one of: {', '.join(AdoptionRule.Eligibility.values)}."
    teams = list(teams)
    tenant_id = capability.tenant_id
    if any(not isinstance(t, Team) or t.tenant_id != tenant_id for t in teams):
        errors["teams"] = "Every listed team must be a team of this tenant."
    elif eligibility == AdoptionRule.Eligibility.LISTED and not teams:
        errors["teams"] = "List at least one eligible team, or make every team eligible."
    environment, repo_topic = (environment or "").strip(), (repo_topic or "").strip().lower()
    for field, value in (("environment", environment), ("repo_topic", repo_topic)):
        if len(value) > MAX_RULE_TEXT:
            errors[field] = f"At most {MAX_RULE_TEXT} characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule, _ = AdoptionRule.objects.select_for_update().get_or_create(capability_id=capability.pk)
        rule.eligibility, rule.environment, rule.repo_topic = eligibility, environment, repo_topic
        rule.save()
        EligibleTeam.objects.filter(capability_id=capability.pk).delete()
        if eligibility == AdoptionRule.Eligibility.LISTED:
            EligibleTeam.objects.bulk_create(
                [
                    EligibleTeam(tenant_id=tenant_id, capability_id=capability.pk, team=t)
                    for t in {t.pk: t for t in teams}.values()
                ]
            )
    return rule
