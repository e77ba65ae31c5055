"""The advisories board: current level per issuer for each country and region, the last change of
each, and a level-history chart, built from the store's advisory rows (pure functions, no I/O)."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from web.render import parse_time

log = logging.getLogger(__name__)

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 220, 28
CHART_LEFT = 118  # room for the y axis's level names
SERIES_GAP = 6.0  # px between issuers' lines at one level, so five issuers at level 2 are five lines
DASHES = ("", "7 3", "2 3", "10 3 2 3", "4 4", "1 2")  # with the colours, lines stay apart in grey print too
LEVEL_AXIS = {1: "1 normal", 2: "2 caution", 3: "3 reconsider", 4: "4 do not travel"}


@dataclass
class BoardRow:
    """One country (region "") or one region of it, with the newest advisory of each issuer."""

    country: str
    region: str
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)


def last_changes(history: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(issuer, country, region) -> the newest row that changed the level (or the first row seen)."""
    changes: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in history:  # oldest first
        key = (row["issuer"], row["country"], row["region"] or "")
        if key not in changes or row.get("previous_level") != row.get("level"):
            changes[key] = row
    return changes


def build_board(
    current: list[dict[str, Any]], history: list[dict[str, Any]], countries: list[str]
) -> tuple[list[str], list[BoardRow]]:
    """Issuers (columns) and rows for `countries` in the given order, each cell carrying the current
    advisory plus `last_change`; countries without any advisory still get an empty row."""
    changes = last_changes(history)
    issuers = sorted({row["issuer"] for row in current if row["country"] in countries})
    rows: dict[tuple[str, str], BoardRow] = {(c, ""): BoardRow(c, "") for c in countries}
    for adv in current:
        if adv["country"] not in countries:
            continue
        key = (adv["country"], adv["region"] or "")
        row = rows.setdefault(key, BoardRow(*key))
        row.cells[adv["issuer"]] = {**adv, "last_change": changes.get((adv["issuer"], *key))}
    order = {c: i for i, c in enumerate(countries)}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r.country, len(order)), r.region != "", r.region))
    return issuers, ordered


@dataclass
class ChartSeries:
    issuer: str
    points: str  # SVG polyline points
    last_level: int | None
    dash: str = ""  # SVG stroke-dasharray
    marks: list[tuple[float, float]] = field(default_factory=list)  # a dot at each recorded level


@dataclass
class LevelChart:
    """A step chart of levels 1–4 over time, one series per issuer (whole-country advice only)."""

    width: int
    height: int
    series: list[ChartSeries]
    y_ticks: list[tuple[int, float]]
    x_labels: list[tuple[str, float]]
    left: float = CHART_LEFT
    y_labels: dict[int, str] = field(default_factory=lambda: dict(LEVEL_AXIS))


def level_chart(history: list[dict[str, Any]], now: datetime) -> LevelChart | None:
    """The chart for one country's history, or None when no row has a level."""
    rows = [r for r in history if r.get("level") and not r.get("region")]
    stamps = [t for r in rows if (t := _when(r))]
    if not stamps:
        return None
    start = min(stamps)
    span = max((now - start).total_seconds(), 86400.0)
    x = lambda t: CHART_LEFT + (t - start).total_seconds() / span * (CHART_WIDTH - CHART_LEFT - CHART_PAD)
    level_y = lambda level: CHART_HEIGHT - CHART_PAD / 2 - (level - 1) / 3 * (CHART_HEIGHT - CHART_PAD)
    by_issuer: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for r in rows:
        if (t := _when(r)) is not None:
            by_issuer[r["issuer"]].append((t, int(r["level"])))
    series = []
    for index, (issuer, points) in enumerate(sorted(by_issuer.items())):
        nudge = (index - (len(by_issuer) - 1) / 2) * SERIES_GAP  # issuers at one level stay visible
        y = lambda level, n=nudge: level_y(level) + n
        coords = _step_points(sorted(points), now, x, y)
        marks = [(round(x(t), 1), round(y(level), 1)) for t, level in sorted(points)]
        series.append(ChartSeries(issuer, coords, max(points)[1], DASHES[index % len(DASHES)], marks))
    ticks = [(level, level_y(level)) for level in (1, 2, 3, 4)]
    labels = [(start.strftime("%Y-%m-%d"), x(start)), (now.strftime("%Y-%m-%d"), x(now))]
    return LevelChart(CHART_WIDTH, CHART_HEIGHT, series, ticks, labels)


def _step_points(
    points: list[tuple[datetime, int]], now: datetime, x: Callable[[datetime], float], y: Callable[[int], float]
) -> str:
    """SVG polyline points of a step line: each level held until the next change, the last one until now."""
    coords: list[str] = []
    for i, (t, level) in enumerate(points):
        if i:
            coords.append(f"{x(t):.1f},{y(points[i - 1][1]):.1f}")
        coords.append(f"{x(t):.1f},{y(level):.1f}")
    coords.append(f"{x(now):.1f},{y(points[-1][1]):.1f}")
    return " ".join(coords)


def _when(row: dict[str, Any]) -> datetime | None:
    return parse_time(row.get("issued_at")) or parse_time(row.get("fetched_at"))
