"""Writes for satisfaction surveys: open a round, answer it, remind once, close it.

Rules (decided here, documented in the README's insights section):
- Capability owners (maintainers of the owning team, tenant admins) open, remind and close rounds. One open
  round per capability at a time (a partial unique constraint settles races).
- Invitations go to the members of teams *currently onboarded* to the capability (read from
  `insights.Adoption`, state `onboarded`) whose tenant role may write: viewers are read-only everywhere in
  Agora, so they are neither invited nor allowed to answer.
- Anyone in the tenant who may write (member, admin) and can see the capability may answer, invited or not:
  a team that uses the capability without having recorded it should still be heard. Invitations only decide
  who is asked (and reminded).
- One answer per person per round, updated in place while the round is open; refused once it is closed or
  past `closes_at` (even before the beat has closed it).
- One reminder per round, only to invitees who have not answered; idempotent on the round (the row lock
  and `reminder_sent_at`), and on the notification key `survey:<id>:remind`.

Every write locks the round row (`select_for_update`), so answering, closing and reminding at the same
moment serialise: nothing is accepted after a close commits, and the reminder goes out once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.insights.models import Adoption, AdoptionState, SurveyAnswer, SurveyInvitation, SurveyRound
from catalog.selectors import visible_capabilities
from portal.plugins.api import (
    Membership,
    Role,
    TeamMembership,
    can_maintain,
    can_write,
    event_emit,
    notification_publish,
    require_current_tenant,
    tenant_reverse,
)

MAX_TITLE = 200
MAX_TEXT = 2000
MIN_DURATION = timedelta(hours=1)
MAX_DURATION = timedelta(days=92)
TEXT_FIELDS = ("experience", "likes", "dislikes", "improve")
QUESTIONS = {
    "score": "How likely are you to recommend {name} to a colleague?",
    "experience": "How is your experience with {name}?",
    "likes": "What do you like?",
    "dislikes": "What do you dislike?",
    "improve": "What should we improve?",
}


class SurveyStateError(Exception):
    """The round's state forbids this (answering a closed round, closing twice): a 409, not a 400."""


def is_open(round: SurveyRound, *, now: datetime | None = None) -> bool:
    """Open means not closed and not past `closes_at` (the beat may not have closed it yet)."""
    return round.closed_at is None and round.closes_at > (now or timezone.now())


def may_own(membership: Membership | None, capability: Any) -> bool:
    return can_maintain(membership, capability.owner_team_id)


def _require_owner(membership: Membership | None, capability: Any) -> None:
    if not may_own(membership, capability):
        raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can do that.")


def _sees(membership: Membership, capability_id: int) -> bool:
    return visible_capabilities(membership, include_archived=True).filter(pk=capability_id).exists()


def _locked(round: SurveyRound) -> SurveyRound:
    return SurveyRound.objects.select_for_update().select_related("capability").get(pk=round.pk)


def _answer_url(round: SurveyRound) -> str:
    return tenant_reverse(
        "insights:surveys-answer", capability_slug=round.capability.slug, surveyround_pk=round.pk
    )


def invitee_ids(capability: Any) -> list[int]:
    """Users to invite: members (any team role) of teams onboarded to `capability`, whose tenant role may
    write, and who can see the capability (checked per person only for team-restricted capabilities)."""
    onboarded = Adoption.objects.filter(capability_id=capability.pk, state=AdoptionState.ONBOARDED).values(
        "team_id"
    )
    in_teams = TeamMembership.objects.filter(team_id__in=onboarded).values("user_id")
    members = list(
        Membership.objects.filter(user_id__in=in_teams, role__in=[Role.ADMIN, Role.MEMBER]).order_by(
            "user_id"
        )
    )
    if getattr(capability, "visibility", "tenant") != "tenant":
        members = [m for m in members if _sees(m, capability.pk)]
    return [m.user_id for m in members]


@transaction.atomic
def survey_open(*, membership: Membership, capability: Any, title: str, closes_at: datetime) -> SurveyRound:
    """Open a round for `capability`, invite the members of its onboarded teams and notify them once."""
    _require_owner(membership, capability)
    tenant = require_current_tenant()
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if capability.tenant_id != tenant.pk:  # FK checks bypass row-level security
        errors["capability"] = ["That capability does not exist in this tenant."]
    if not title:
        errors["title"] = ["Give the round a title, e.g. “Q3 2025”."]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters."]
    if not isinstance(closes_at, datetime) or timezone.is_naive(closes_at):
        errors["closes_at"] = ["Give the closing date and time."]
    elif closes_at < now + MIN_DURATION:
        errors["closes_at"] = ["The round must stay open at least an hour."]
    elif closes_at > now + MAX_DURATION:
        errors["closes_at"] = ["A round stays open at most 92 days."]
    if errors:
        raise ValidationError(errors)
    # A round past its closing time that the beat has not closed yet is closed now, so it does not block.
    for due in SurveyRound.objects.select_for_update().filter(
        capability_id=capability.pk, closed_at__isnull=True, closes_at__lte=now
    ):
        _close(due, now=now)
    if SurveyRound.objects.filter(capability_id=capability.pk, closed_at__isnull=True).exists():
        raise SurveyStateError(f"{capability.name} already has an open survey round; close it first.")
    try:
        with transaction.atomic():
            round = SurveyRound.objects.create(
                capability=capability,
                title=title,
                opened_at=now,
                closes_at=closes_at,
                opened_by=membership.user,
            )
    except IntegrityError:  # a concurrent open won
        raise SurveyStateError(
            f"{capability.name} already has an open survey round; close it first."
        ) from None
    users = invitee_ids(capability)
    SurveyInvitation.objects.bulk_create(
        [SurveyInvitation(tenant=tenant, round=round, user_id=user_id, invited_at=now) for user_id in users]
    )
    if users:
        notification_publish(
            key=f"survey:{round.pk}:invite",
            topic_kind="capability",
            topic_id=capability.pk,
            category="survey",
            title=f"How is {capability.name} working for you? ({title})",
            body_markdown=(
                f"The {capability.name} team would like your opinion: one score from 0 to 10 and four short "
                f"questions. Answers are anonymous; results show only when at least 5 people answered. "
                f"Open until {closes_at:%Y-%m-%d %H:%M} UTC."
            ),
            url=_answer_url(round),
            recipient_user_ids=users,
            topic_label=capability.name,
        )
    event_emit(
        "insights.survey_opened",
        {"round_id": round.pk, "capability_id": capability.pk, "invited": len(users)},
    )
    return round


def _clean_answer(score: Any, texts: dict[str, Any]) -> tuple[int, dict[str, str]]:
    errors: dict[str, list[str]] = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        errors["score"] = ["Choose a score from 0 to 10."]
    clean: dict[str, str] = {}
    for field in TEXT_FIELDS:
        value = texts.get(field)
        value = "" if value is None else str(value).replace("\x00", "").strip()
        if len(value) > MAX_TEXT:
            errors[field] = [f"At most {MAX_TEXT} characters."]
        clean[field] = value
    if errors:
        raise ValidationError(errors)
    return score, clean


@transaction.atomic
def survey_answer(
    *,
    membership: Membership,
    round: SurveyRound,
    score: int,
    experience: str = "",
    likes: str = "",
    dislikes: str = "",
    improve: str = "",
) -> SurveyAnswer:
    """Record or update (in place) the member's answer to an open round."""
    if membership is None or not can_write(membership):
        raise PermissionDenied("Viewers cannot answer surveys.")
    round = _locked(round)
    if not _sees(membership, round.capability_id):
        raise PermissionDenied("You cannot see this capability.")
    if not is_open(round):
        raise SurveyStateError("This survey round is closed; answers can no longer be given or changed.")
    score, texts = _clean_answer(
        score, {"experience": experience, "likes": likes, "dislikes": dislikes, "improve": improve}
    )
    answer = SurveyAnswer.objects.filter(round=round, user_id=membership.user_id).first()
    if answer is None:
        try:
            with transaction.atomic():
                return SurveyAnswer.objects.create(
                    round=round, user_id=membership.user_id, score=score, **texts
                )
        except IntegrityError:  # a double submit; impossible under the round lock, kept as a safety net
            answer = SurveyAnswer.objects.get(round=round, user_id=membership.user_id)
    answer.score = score
    for field, value in texts.items():
        setattr(answer, field, value)
    answer.save(update_fields=["score", *TEXT_FIELDS, "updated_at"])
    return answer


def _close(round: SurveyRound, *, now: datetime) -> None:
    round.closed_at = min(now, round.closes_at)
    round.save(update_fields=["closed_at"])
    event_emit(
        "insights.survey_closed",
        {"round_id": round.pk, "capability_id": round.capability_id, "answers": round.answers.count()},
    )


@transaction.atomic
def survey_close(*, membership: Membership | None, round: SurveyRound) -> SurveyRound:
    """Close a round now (owners), or at `closes_at` (`membership=None`: the beat). Closing twice: 409."""
    round = _locked(round)
    if membership is not None:
        _require_owner(membership, round.capability)
    if round.closed_at is not None:
        raise SurveyStateError("This survey round is already closed.")
    _close(round, now=timezone.now())
    return round


@transaction.atomic
def survey_remind(*, membership: Membership | None, round: SurveyRound) -> int:
    """Remind invitees who have not answered, once per round; returns how many were reminded (0 when the
    reminder was already sent or everybody answered). `membership=None` is the beat."""
    round = _locked(round)
    if membership is not None:
        _require_owner(membership, round.capability)
    if not is_open(round):
        raise SurveyStateError("This survey round is closed; there is nobody left to remind.")
    if round.reminder_sent_at is not None:
        return 0
    now = timezone.now()
    answered = SurveyAnswer.objects.filter(round=round).values("user_id")
    pending = SurveyInvitation.objects.filter(round=round).exclude(user_id__in=answered)
    users = sorted(pending.values_list("user_id", flat=True))
    pending.update(reminded_at=now)
    round.reminder_sent_at = now
    round.save(update_fields=["reminder_sent_at"])
    if users:
        capability = round.capability
        notification_publish(
            key=f"survey:{round.pk}:remind",
            topic_kind="capability",
            topic_id=capability.pk,
            category="survey",
            title=f"Reminder: how is {capability.name} working for you? ({round.title})",
            body_markdown=(
                f"You have not answered the {capability.name} survey yet. It takes two minutes and closes "
                f"{round.closes_at:%Y-%m-%d %H:%M} UTC. This is the only reminder."
            ),
            url=_answer_url(round),
            recipient_user_ids=users,
            topic_label=capability.name,
        )
    return len(users)


def reminder_due_at(round: SurveyRound) -> datetime:
    """Halfway between opening and closing: late enough to catch the slow, early enough to matter."""
    return round.opened_at + (round.closes_at - round.opened_at) / 2


def survey_due_work(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Close rounds past `closes_at` and send due halfway reminders (current tenant); for the beat.

    Rows are locked with `skip_locked`, so overlapping beat runs (or an owner clicking at that moment) do
    each thing once; the services re-check the state under the lock.
    """
    now = now or timezone.now()
    done: dict[str, list[int]] = {"closed": [], "reminded": []}
    with transaction.atomic():
        due = list(
            SurveyRound.objects.select_for_update(skip_locked=True).filter(
                closed_at__isnull=True, closes_at__lte=now
            )
        )
        for round in due:
            _close(round, now=now)
            done["closed"].append(round.pk)
    # Open rounds are at most one per capability: reading them is bounded by the catalog, not by answers.
    for round in SurveyRound.objects.filter(closed_at__isnull=True, reminder_sent_at__isnull=True):
        if reminder_due_at(round) <= now < round.closes_at:
            try:
                survey_remind(membership=None, round=round)
            except SurveyStateError:
                continue
            done["reminded"].append(round.pk)
    return done
