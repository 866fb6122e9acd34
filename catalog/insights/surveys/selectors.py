"""Reads for surveys: rounds a member may see, results that honour the anonymity threshold, the trend.

Constant query counts: distributions come from one GROUP BY over all the rounds asked for, texts from one
query per shown round (in random order, and only for rounds with at least `MIN_ANSWERS` answers). Nothing
returned here names who answered; only `my_answer` reads the caller's own row.

Who sees results: everybody in the tenant who can see the capability (viewers included). Results are
aggregates behind a threshold, and showing the people who were asked what came of it is the point of asking;
owners additionally see how many were invited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from catalog.insights.models import SurveyAnswer, SurveyInvitation, SurveyRound
from catalog.insights.surveys.services import TEXT_FIELDS, is_open
from catalog.insights.surveys.stats import MIN_ANSWERS, NpsResult, nps_from_distribution
from catalog.selectors import visible_capabilities
from portal.plugins.api import Membership


def _count(model) -> Coalesce:
    """A correlated COUNT subquery (two joined COUNTs would multiply answers by invitations)."""
    counted = (
        model.objects.filter(round_id=OuterRef("pk")).order_by().values("round_id").annotate(n=Count("id"))
    )
    return Coalesce(Subquery(counted.values("n")[:1]), Value(0), output_field=IntegerField())


def visible_rounds(membership: Membership | None) -> QuerySet[SurveyRound]:
    """Rounds of the capabilities the member can see (archived ones included: their history stays)."""
    capabilities = visible_capabilities(membership, include_archived=True)
    return (
        SurveyRound.objects.filter(capability__in=capabilities)
        .select_related("capability")
        .annotate(answer_count=_count(SurveyAnswer), invitation_count=_count(SurveyInvitation))
        .order_by("-opened_at", "-pk")
    )


def rounds_of(membership: Membership | None, *, capability) -> QuerySet[SurveyRound]:
    return visible_rounds(membership).filter(capability_id=capability.pk)


def round_detail(membership: Membership | None, *, pk: int, capability=None) -> SurveyRound | None:
    qs = visible_rounds(membership)
    if capability is not None:
        qs = qs.filter(capability_id=capability.pk)
    return qs.filter(pk=pk).first()


def open_round(membership: Membership | None, *, capability) -> SurveyRound | None:
    for round in rounds_of(membership, capability=capability).filter(closed_at__isnull=True)[:1]:
        return round if is_open(round) else None
    return None


def distributions(round_ids: list[int]) -> dict[int, NpsResult]:
    """NPS per round (one query whatever the number of rounds and answers)."""
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        SurveyAnswer.objects.filter(round_id__in=round_ids)
        .values_list("round_id", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    for round_id, score, n in rows:
        counts[round_id][score] = n
    return {round_id: nps_from_distribution(counts.get(round_id, {})) for round_id in round_ids}


@dataclass(frozen=True)
class OpenAnswers:
    """The answers to one open question, without authors, in random order."""

    field: str
    texts: list[str]


@dataclass
class RoundResults:
    round: SurveyRound
    nps: NpsResult
    open_answers: list[OpenAnswers] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.nps.enough


def open_answers(round: SurveyRound) -> list[OpenAnswers]:
    """Texts per question, shuffled by the database (never by time or person), blank ones left out."""
    found: dict[str, list[str]] = {f: [] for f in TEXT_FIELDS}
    nonblank = Q()
    for f in TEXT_FIELDS:
        nonblank |= ~Q(**{f: ""})
    for row in (
        SurveyAnswer.objects.filter(nonblank, round_id=round.pk).order_by("?").values_list(*TEXT_FIELDS)
    ):
        for f, text in zip(TEXT_FIELDS, row, strict=True):
            if text:
                found[f].append(text)
    return [OpenAnswers(field=f, texts=texts) for f, texts in found.items()]


def round_results(round: SurveyRound) -> RoundResults:
    """Results of one round: NPS, interval, distribution and texts, or only n below the threshold."""
    nps = distributions([round.pk])[round.pk]
    texts = open_answers(round) if nps.enough else []
    return RoundResults(round=round, nps=nps, open_answers=texts)


@dataclass(frozen=True)
class TrendPoint:
    round_id: int
    title: str
    closed_at: datetime
    nps: NpsResult


def trend(rounds: list[SurveyRound], results: dict[int, NpsResult]) -> list[TrendPoint]:
    """NPS per closed round, oldest first (rounds below the threshold keep their place with no value)."""
    closed = sorted((r for r in rounds if r.closed_at is not None), key=lambda r: (r.closed_at, r.pk))
    return [
        TrendPoint(round_id=r.pk, title=r.title, closed_at=r.closed_at, nps=results[r.pk]) for r in closed
    ]


def trend_chart(points: list[TrendPoint], *, width: int = 300, height: int = 100) -> dict:
    """SVG coordinates for the trend (NPS -100..100 mapped to the height; rounds below the threshold are
    gaps, not zeros)."""
    step = width / max(len(points) - 1, 1)
    dots = [
        {"x": round(i * step, 1), "y": round(height * (100 - p.nps.nps) / 200, 1), "point": p}
        for i, p in enumerate(points)
        if p.nps.enough
    ]
    return {
        "width": width,
        "height": height,
        "zero_y": height / 2,
        "dots": dots,
        "polyline": " ".join(f"{d['x']},{d['y']}" for d in dots),
    }


def capability_overview(membership: Membership | None, *, capability) -> dict:
    """Rounds of a capability with their NPS and the trend (three queries whatever the history)."""
    rounds = list(rounds_of(membership, capability=capability))
    results = distributions([r.pk for r in rounds])
    points = trend(rounds, results)
    return {
        "rounds": [(r, results[r.pk]) for r in rounds],
        "trend": points,
        "trend_chart": trend_chart(points),
        "min_answers": MIN_ANSWERS,
    }


def my_answer(membership: Membership | None, *, round: SurveyRound) -> SurveyAnswer | None:
    if membership is None:
        return None
    return SurveyAnswer.objects.filter(round_id=round.pk, user_id=membership.user_id).first()


def panel_summary(membership: Membership | None, *, capability) -> dict:
    """For the capability page: the open round (if any, and whether I answered) and the latest NPS shown:
    the open round's when it already has enough answers, else the last closed round's."""
    rounds = list(rounds_of(membership, capability=capability)[:5])
    current = next((r for r in rounds if r.closed_at is None and is_open(r)), None)
    last_closed = next((r for r in rounds if r.closed_at is not None), None)
    ids = [r.pk for r in (current, last_closed) if r is not None]
    results = distributions(ids) if ids else {}
    shown = None
    if current is not None and results[current.pk].enough:
        shown = current
    elif last_closed is not None:
        shown = last_closed
    return {
        "survey_open_round": current,
        "survey_shown_round": shown,
        "survey_shown": results.get(shown.pk) if shown is not None else None,
        "survey_answered": my_answer(membership, round=current) is not None if current else False,
        "min_answers": MIN_ANSWERS,
    }
