"""Geometry for the server-rendered SVG charts (the templates draw them; Django escapes every label).

No chart library and no build step: three small chart kinds, each a dataclass of coordinates that a
template turns into `<svg role="img">` with a title and a description, always next to a data table for
screen readers. Series differ by line style and markers as well as colour, so nothing depends on colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from catalog.insights import metrics

WIDTH, HEIGHT = 320, 160
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 16, 14, 28


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def number(value: float | None, metric: str = "") -> str:
    """How a metric value reads: rates as percentages, hours and frequencies with one decimal."""
    if value is None:
        return "n/a"
    if metric in ("change_fail_rate", "rework_rate"):
        return f"{value * 100:.0f}%"
    return f"{value:.1f}"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str

    @property
    def box_x(self) -> float:  # a square marker centred on the point
        return round(self.x - 4, 1)

    @property
    def box_y(self) -> float:
        return round(self.y - 4, 1)

    @property
    def label_x(self) -> float:
        return round(self.x + 8, 1)


@dataclass(frozen=True)
class Slope:
    """Before -> after for adopting teams (solid, circles) and comparison teams (dashed, squares)."""

    metric: str
    title: str
    description: str
    adopters: tuple[Point, Point] | None
    comparison: tuple[Point, Point] | None
    y_ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PAD_LEFT
    right: int = WIDTH - PAD_RIGHT
    tick_x: int = PAD_LEFT - 6
    axis_y: int = HEIGHT - 8
    before_x: int = PAD_LEFT + 20
    after_x: int = WIDTH - PAD_RIGHT - 20


def slope(effect: metrics.MetricEffect) -> Slope:
    values = [
        v for v in (effect.before, effect.after, effect.control_before, effect.control_after) if v is not None
    ]
    low, high = (min([*values, 0.0]), max(values)) if values else (0.0, 1.0)
    high = high if high > low else low + 1
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM

    def y(v: float) -> float:
        return round(_scale(v, low, high, bottom, top), 1)

    def pair(before: float | None, after: float | None) -> tuple[Point, Point] | None:
        if before is None or after is None:
            return None
        return (
            Point(PAD_LEFT + 20, y(before), number(before, effect.metric)),
            Point(WIDTH - PAD_RIGHT - 20, y(after), number(after, effect.metric)),
        )

    adopters = pair(effect.before, effect.after)
    comparison = pair(effect.control_before, effect.control_after)
    parts = []
    if adopters:
        parts.append(f"adopting teams {adopters[0].label} before, {adopters[1].label} after")
    if comparison:
        parts.append(f"comparison teams {comparison[0].label} before, {comparison[1].label} after")
    ticks = [(y(v), number(v, effect.metric)) for v in (low, (low + high) / 2, high)]
    return Slope(
        metric=effect.metric,
        title=effect.label,
        description="; ".join(parts) or "not enough data",
        adopters=adopters,
        comparison=comparison,
        y_ticks=ticks,
    )


@dataclass(frozen=True)
class Line:
    """A weekly series (e.g. onboarded teams per week) as a polyline with labelled first/last points."""

    title: str
    description: str
    points: str  # the SVG `points` attribute
    first: Point | None
    last: Point | None
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PAD_LEFT
    right: int = WIDTH - PAD_RIGHT
    tick_x: int = PAD_LEFT - 6
    axis_y: int = HEIGHT - 8
    baseline: int = HEIGHT - PAD_BOTTOM


def line(title: str, series: Sequence[tuple[date, float]]) -> Line:
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    high = max((v for _, v in series), default=0) or 1
    n = max(len(series) - 1, 1)
    coords = [
        (
            round(_scale(i, 0, n, PAD_LEFT, WIDTH - PAD_RIGHT), 1),
            round(_scale(v, 0, high, bottom, top), 1),
            f"{v:g}",
        )
        for i, (_, v) in enumerate(series)
    ]
    first = Point(*coords[0]) if coords else None
    last = Point(*coords[-1]) if coords else None
    x_ticks = []
    if series:
        x_ticks = [(coords[0][0], series[0][0].isoformat()), (coords[-1][0], series[-1][0].isoformat())]
    description = (
        f"from {series[0][1]:g} in the week of {series[0][0]:%Y-%m-%d} to {series[-1][1]:g} in the week of "
        f"{series[-1][0]:%Y-%m-%d}"
        if series
        else "no data"
    )
    return Line(
        title=title,
        description=description,
        points=" ".join(f"{x},{y}" for x, y, _ in coords),
        first=first,
        last=last,
        y_ticks=[(round(_scale(v, 0, high, bottom, top), 1), f"{v:g}") for v in (0, high)],
        x_ticks=x_ticks,
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    group: str  # "detractor" / "passive" / "promoter": drawn with different patterns, not colour alone

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_y(self) -> float:
        return round(self.y - 3, 1)


@dataclass(frozen=True)
class Histogram:
    title: str
    description: str
    bars: list[Bar]
    baseline: float
    width: int = WIDTH
    height: int = HEIGHT
    axis_y: int = HEIGHT - 8


def nps_histogram(distribution: Sequence[int]) -> Histogram:
    """The 0-10 answers: detractors (0-6), passives (7-8), promoters (9-10)."""
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    high = max(distribution, default=0) or 1
    slot = (WIDTH - PAD_LEFT - PAD_RIGHT) / 11
    bars = []
    for score, count in enumerate(distribution):
        height = _scale(count, 0, high, 0, bottom - top)
        group = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
        bars.append(
            Bar(
                x=round(PAD_LEFT + score * slot + 2, 1),
                y=round(bottom - height, 1),
                width=round(slot - 4, 1),
                height=round(height, 1),
                label=str(score),
                value=count,
                group=group,
            )
        )
    description = ", ".join(f"{score}: {count}" for score, count in enumerate(distribution))
    return Histogram(title="Answers from 0 to 10", description=description, bars=bars, baseline=bottom)
