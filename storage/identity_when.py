"""When: do two reports date the same occurrence? Shared days and earlier months, an undated report read as
of the other's date, and occurrences dated months apart. Pure."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from storage.identity_dates import resolve_dates
from storage.identity_evidence import Comparison, Evidence, lead_factor

if TYPE_CHECKING:
    from storage.identity import Incident


def compare_when(a: Incident, b: Incident, c: Comparison) -> None:
    a_days, a_months, b_days, b_months, assumed = _dates_for_pair(a, b)
    pubs = {d for d in (a.published, b.published) if d}
    day_weight = 0.0
    shared_days = sorted(set(a_days) & set(b_days))
    for d in shared_days:
        base = 0.5 if d in pubs else 1.0 if d + timedelta(days=1) in pubs else 2.0
        w = round(base * lead_factor(a_days[d], b_days[d], c.leads_apart) * (0.5 if assumed else 1.0), 2)
        if day_weight + w <= 3.0:
            day_weight += w
            c.evidence.append(Evidence(f"same day {d.isoformat()}" + (" (undated report read as of then)"
                                                                      if assumed else ""), w))
    _dates_apart(_occurrence_days(a_days, a.published), a_months, _occurrence_days(b_days, b.published), b_months, c)
    old = [m for m in sorted(set(a_months) & set(b_months)) if _months_before(m, pubs) >= 2]
    if old and not shared_days:
        m = old[0]
        w = round(2.0 * lead_factor(a_months[m], b_months[m], c.leads_apart), 2)
        c.evidence.append(Evidence(f"same earlier month {m[0]}-{m[1]:02d}", w))
    if a.published and b.published:
        gap = abs((a.published - b.published).days)
        if gap <= 2:
            c.evidence.append(Evidence("published within 2 days" if gap else "published the same day", 0.5))
        elif gap <= 7:
            c.evidence.append(Evidence(f"published {gap} days apart", 0.25))


_Days = dict[date, bool]
_Months = dict[tuple[int, int], bool]
DATES_APART = timedelta(days=31)
ANNOUNCED_WITHIN = 2  # days before publication that date an announcement rather than what happened
UNDATED_REACH = timedelta(days=92)  # how far back an undated report's bare "21일" may be the other's 21st


def _occurrence_days(days: _Days, published: date | None) -> _Days:
    """The days a report dates what happened, not when it was announced: those at least two days before
    its publication ("police said on Monday" about a case weeks old is no date of the case)."""
    if published is None:
        return days
    return {d: lead for d, lead in days.items() if (published - d).days >= ANNOUNCED_WITHIN}


def _dates_apart(a_days: _Days, a_months: _Months, b_days: _Days, b_months: _Months, c: Comparison) -> None:
    """Both leads date what happened, months apart, and neither report names a month of the other's:
    two occurrences (a raid in September, another in the same district in March), not a follow-up,
    which recalls the date it follows up."""
    lead_a = [d for d, lead in a_days.items() if lead]
    lead_b = [d for d, lead in b_days.items() if lead]
    if not lead_a or not lead_b or set(a_months) & set(b_months):
        return
    if all(abs(x - y) > DATES_APART for x in lead_a for y in lead_b):
        c.conflicts.append(Evidence(f"happened months apart {min(lead_a).isoformat()} vs {min(lead_b).isoformat()}",
                                    1.5))


def _dates_for_pair(a: Incident, b: Incident) -> tuple[_Days, _Months, _Days, _Months, bool]:
    """Each side's days and months; an undated report's mentions are read as if it were published when
    the other was (weaker evidence, marked 'assumed'), and its bare days ("지난 21일", "on the 21st") as the
    other's days of that number when it names one in the months before (a follow-up's "지난달 21일")."""
    if a.published is None and b.published is not None and a.undated:
        days, months = _read_undated(a.undated, b)
        return days, months, b.days, b.months, True
    if b.published is None and a.published is not None and b.undated:
        days, months = _read_undated(b.undated, a)
        return a.days, a.months, days, months, True
    return a.days, a.months, b.days, b.months, False


def _read_undated(mentions: tuple[dict[str, Any], ...], dated: Incident) -> tuple[_Days, _Months]:
    assert dated.published is not None
    days, months = resolve_dates(list(mentions), dated.published)
    for m in mentions:
        if m.get("day") and not (m.get("month") or m.get("year") or m.get("month_offset") or m.get("weekday")):
            for d in dated.days:
                if d.day == m["day"] and timedelta(0) <= dated.published - d <= UNDATED_REACH:
                    days[d] = days.get(d, False) or bool(m.get("lead"))
                    months[(d.year, d.month)] = months.get((d.year, d.month), False) or bool(m.get("lead"))
    return days, months


def _months_before(month: tuple[int, int], pubs: set[date]) -> int:
    if not pubs:
        return 0
    first = min(pubs)
    return (first.year - month[0]) * 12 + first.month - month[1]
