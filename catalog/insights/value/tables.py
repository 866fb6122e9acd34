"""Rows for the tables and the CSV export, shaped from `selectors.CapabilityValue` (no queries here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.insights import metrics
from catalog.insights.value import charts
from catalog.insights.value.selectors import CapabilityValue

CSV_HEADER = [
    "capability",
    "slug",
    "onboarded_teams",
    "compared_teams",
    "metric",
    "adopters_before",
    "adopters_after",
    "comparison_before",
    "comparison_after",
    "difference_in_differences",
    "adopting_teams_with_data",
    "comparison_teams",
    "reading",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Cell:
    text: str
    verdict: str  # words, so the table needs no colour


@dataclass(frozen=True)
class DashboardRow:
    capability: Any
    adoption: str  # "3 of 7" (onboarded of eligible teams)
    nps: str  # "+32 (n = 14)", "n < 5", or "" without a closed round
    onboarded_teams: int
    compared_teams: int
    waiting_teams: int
    cells: list[Cell]


def signed(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    text = charts.number(abs(value), metric)
    return f"{'+' if value > 0 else '-' if value < 0 else '±'}{text}"


def nps_text(result: Any) -> str:
    if result is None:
        return ""
    if not result.enough:
        return f"n = {result.n}, not enough answers"
    return f"{result.nps:+.0f} (n = {result.n})"


def dashboard_row(value: CapabilityValue, *, adoption: Any = None, nps: Any = None) -> DashboardRow:
    cells = [
        Cell(text=signed(e.difference, e.metric), verdict=e.verdict if e.difference is not None else "n/a")
        for e in value.effects
    ]
    return DashboardRow(
        capability=value.capability,
        adoption=f"{adoption.onboarded} of {adoption.eligible}" if adoption is not None else "",
        nps=nps_text(nps),
        onboarded_teams=value.onboarded_teams,
        compared_teams=value.compared_teams,
        waiting_teams=value.waiting_teams,
        cells=cells,
    )


@dataclass(frozen=True)
class TeamRow:
    team: str
    onboarded_at: Any
    before: list[str]
    after: list[str]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.before, self.after, strict=True))


def comparison_rows(value: CapabilityValue, team_names: dict[int, str]) -> list[TeamRow]:
    return [
        TeamRow(
            team=team_names.get(c.team_id, f"team {c.team_id}"),
            onboarded_at=c.onboarded_at,
            before=[charts.number(getattr(c.before, m), m) for m in metrics.METRIC_NAMES],
            after=[charts.number(getattr(c.after, m), m) for m in metrics.METRIC_NAMES],
        )
        for c in value.comparisons
    ]


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (`=HYPERLINK(...)` in a capability name) is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def csv_rows(value: CapabilityValue) -> list[list[Any]]:
    capability = value.capability
    return [
        [
            _cell(x)
            for x in (
                capability.name,
                capability.slug,
                value.onboarded_teams,
                value.compared_teams,
                e.metric,
                _num(e.before),
                _num(e.after),
                _num(e.control_before),
                _num(e.control_after),
                _num(e.difference),
                e.teams,
                e.control_teams,
                e.verdict,
            )
        ]
        for e in value.effects
    ]
