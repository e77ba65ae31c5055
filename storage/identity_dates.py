"""When a report says something happened: its date mentions ("17일", "지난달 15일", "in August", "last
Thursday") resolved against its publication date. Pure."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache
from typing import Any

EXTRA_COUNTRY_NAMES = ("South Korea", "North Korea", "Korea", "Vietnam", "Laos", "Russia", "Taiwan", "Burma",
                       "Myanmar", "Philippines", "United States", "UK", "Iran", "Syria", "Turkey")


def resolve_dates(
    mentions: list[dict[str, Any]], published: date | None
) -> tuple[dict[date, bool], dict[tuple[int, int], bool]]:
    """(day -> named in the lead, month -> named in the lead) for the mentions that can be placed in time. A day or
    month without a year is the latest one not after publication; without a publication date only
    mentions with a year count."""
    days: dict[date, bool] = {}
    months: dict[tuple[int, int], bool] = {}
    for m in mentions:
        resolved = resolve_one(m, published)
        if resolved is None:
            continue
        kind, value = resolved
        if kind == "day":
            days[value] = days.get(value, False) or bool(m.get("lead"))
            value = (value.year, value.month)
        months[value] = months.get(value, False) or bool(m.get("lead"))
    return days, months


def resolve_one(m: dict[str, Any], pub: date | None) -> tuple[str, Any] | None:
    year, month, day, weekday = m.get("year"), m.get("month"), m.get("day"), m.get("weekday")
    if weekday is not None:
        return ("day", pub - timedelta(days=(pub.weekday() - weekday) % 7)) if pub else None
    if year and month and day:
        return _day(year, month, day)
    if year and month:
        return "month", (year, month)
    if pub is None:
        return None
    if month and day:
        y = pub.year if (month, day) <= (pub.month, pub.day + 1) else pub.year - 1
        return _day(y, month, day)
    if month:
        return "month", (pub.year if month <= pub.month else pub.year - 1, month)
    if day:
        y, mo = pub.year, pub.month + int(m.get("month_offset") or 0)
        if not m.get("month_offset") and day > pub.day + 1:  # "25일" read on the 3rd: last month's 25th
            mo -= 1
        if mo < 1:
            y, mo = y - 1, mo + 12
        return _day(y, mo, day)
    return None


def _day(year: int, month: int, day: int) -> tuple[str, date] | None:
    if not 1 <= month <= 12 or day > calendar.monthrange(year, month)[1]:
        return None
    return "day", date(year, month, day)


@cache
def country_names() -> frozenset[str]:
    import pycountry

    names = set(EXTRA_COUNTRY_NAMES)
    for c in pycountry.countries:
        names.update(n for n in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)) if n)
    return frozenset(names)
