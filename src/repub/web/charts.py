"""Geometry of the inline SVG drawings (the templates draw them, escaping every label):
a text's travel (the original and its copies by date, one lane per site) and the per-day bars of a
source's health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from repub.web.render import link, parse_day

WIDTH = 760
LEFT = 180  # room for the site names
RIGHT = 70  # room for the undated column
LANE = 30
TOP = 16
AXIS = 34


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    kind: str  # original | copy
    url: str
    site: str
    when: str  # the date as stored, or "undated"
    href: str  # the page the point leads to


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    width: int
    height: int
    lanes: list[tuple[str, float]]  # (site, y)
    points: list[Point]
    ticks: list[Tick] = field(default_factory=list)
    undated_x: float | None = None  # where undated points stand, when there are any

    @property
    def copies(self) -> list[Point]:
        return [p for p in self.points if p.kind == "copy"]


def timeline(original: dict[str, Any], copies: list[dict[str, Any]]) -> Timeline:
    """``original``: {url, site, published_at}; ``copies``: the original's republications, same keys."""
    entries = [("original", original), *(("copy", c) for c in copies)]
    dated = [(kind, e, parse_day(e.get("published_at"))) for kind, e in entries]
    days = [d for _, _, d in dated if d is not None]
    first, last = (min(days), max(days)) if days else (date.today(), date.today())
    if first == last:
        first, last = first - timedelta(days=1), last + timedelta(days=1)
    span = (last - first).days
    plot = WIDTH - LEFT - RIGHT

    lanes: dict[str, float] = {}
    order = sorted(dated, key=lambda item: (item[0] != "original", item[2] or date.max))
    for _, entry, _ in order:
        lanes.setdefault(entry.get("site") or "?", TOP + LANE * len(lanes) + LANE / 2)
    undated_x = WIDTH - RIGHT / 2 if any(d is None for _, _, d in dated) else None
    points = []
    for kind, entry, day in dated:
        x = LEFT + plot * (day - first).days / span if day is not None else undated_x
        href = (link("/article", url=entry["url"]) if kind == "original"
                else link("/compare", url=entry["url"]))
        points.append(Point(round(float(x or 0), 1), lanes[entry.get("site") or "?"], kind, entry["url"],
                            entry.get("site") or "?", entry.get("published_at") or "undated", href))
    height = int(TOP + LANE * len(lanes) + AXIS)
    return Timeline(WIDTH, height, list(lanes.items()), points, _ticks(first, last, plot), undated_x)


def _ticks(first: date, last: date, plot: float) -> list[Tick]:
    """About five labelled dates along the axis: years, months or days, whichever fits the span."""
    span = (last - first).days
    if span > 4 * 365:
        marks = [date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
        fmt = "%Y"
    elif span > 120:
        marks, month = [], date(first.year, first.month, 1)
        while month <= last:
            month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            marks.append(month)
        fmt = "%Y-%m"
    else:
        marks = [first + timedelta(days=k) for k in range(1, span)]
        fmt = "%Y-%m-%d"
    marks = [m for m in marks if first < m < last]
    step = max(1, len(marks) // 5)
    return [Tick(round(LEFT + plot * (m - first).days / span, 1), m.strftime(fmt)) for m in marks[::step]]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    day: str
    series: str  # new | failed


@dataclass
class DayChart:
    width: int
    height: int
    bars: list[Bar]
    top: int  # the largest daily value


def day_chart(days: list[str], new: list[int], failed: list[int], *, width: int = 300,
              height: int = 56) -> DayChart:
    """Two bars a day (new articles, failures), scaled to the largest value."""
    top = max([*new, *failed, 1])
    slot = width / max(1, len(days))
    bar = max(1.0, slot / 2 - 0.5)
    bars = []
    for i, d in enumerate(days):
        for k, (series, value) in enumerate((("new", new[i]), ("failed", failed[i]))):
            h = round((height - 2) * value / top, 1)
            bars.append(Bar(round(i * slot + k * bar, 1), round(height - h, 1), h, value, d, series))
    return DayChart(width, height, bars, top)
