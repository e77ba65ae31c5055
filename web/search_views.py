"""Two aids on the search page: reports per day for the current search, drawn as bars, and the
incident-type filter offered when the query names an incident in words (kidnapped, abducted, 납치…),
since the type finds a kidnapping whatever word the article used."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

MAX_DAYS = 366  # a longer span shows its most recent year, and says so
# Stems of the words that name each incident type (English, Korean, Khmer), matched at a word's start.
TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "kidnapping": ("kidnap", "abduct", "hostage", "captive", "납치", "인질", "ចាប់ជំរិត"),
    "detention": ("detain", "detention", "confine", "imprison", "감금", "구금", "억류"),
    "torture": ("tortur", "beaten", "beating", "고문", "폭행"),
    "death": ("death", "dead", "died", "killed", "murder", "사망", "숨진", "살해"),
    "rescue": ("rescu", "freed", "구출", "구조"),
    "repatriation": ("repatriat", "deport", "송환", "추방"),
    "scam_recruitment": ("scam", "recruit", "사기", "취업사기"),
    "arrest": ("arrest", "체포", "검거"),
}
WORD = re.compile(r"[\w\u1780-\u17ff]+", re.UNICODE)


def incident_types_named(query: str) -> list[str]:
    """Incident types that a word of `query` names, in TYPE_WORDS order."""
    words = [w.casefold() for w in WORD.findall(query or "")]
    return [t for t, stems in TYPE_WORDS.items() if any(w.startswith(s) for w in words for s in stems)]


def query_without_type_words(query: str, incident_type: str) -> str:
    """`query` less the words that name `incident_type` (the type filter takes their place)."""
    stems = TYPE_WORDS.get(incident_type, ())
    kept = [tok for tok in (query or "").split() if not tok.strip('"()-').casefold().startswith(stems)]
    while kept and kept[-1].upper() == "OR":
        kept.pop()
    while kept and kept[0].upper() == "OR":
        kept.pop(0)
    return " ".join(kept)


def published_days(values: Iterable[Any], tz: ZoneInfo) -> Counter[date]:
    """Local publication days of the matching reports (the store hands back datetimes or ISO text)."""
    days: Counter[date] = Counter()
    for value in values:
        when = value if isinstance(value, datetime) else _parse(value)
        if when is not None:
            days[(when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(tz).date()] += 1
    return days


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def per_day(days: Counter[date]) -> tuple[list[tuple[date, int]], bool]:
    """Every day from the first to the last publication day (zeros included), at most MAX_DAYS, the most
    recent kept; and whether older days were cut."""
    if not days:
        return [], False
    first, last = min(days), max(days)
    cut = (last - first).days + 1 > MAX_DAYS
    if cut:
        first = last - timedelta(days=MAX_DAYS - 1)
    span = (last - first).days + 1
    return [(first + timedelta(days=i), days.get(first + timedelta(days=i), 0)) for i in range(span)], cut


def per_day_svg(series: list[tuple[date, int]], width: int = 760, height: int = 120) -> Markup:
    """Bars of reports per day with a labelled y axis (0 and the peak) and the first and last dates."""
    if not series:
        return Markup("")
    left, bottom, top = 34, 18, 6
    peak = max(n for _, n in series) or 1
    slot = (width - left) / len(series)
    plot_h = height - bottom - top
    svg_open = (f'<svg class="per-day" viewBox="0 0 {width} {height}" width="100%" '
                'role="img" aria-label="Matching reports per day">')
    parts = [svg_open]
    parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>'
                 f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>'
                 f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" class="axis"/>')
    for i, (day, n) in enumerate(series):
        h = plot_h * n / peak
        parts.append(f'<rect x="{left + i * slot:.1f}" y="{top + plot_h - h:.1f}" width="{min(max(slot * 0.8, 1), 24):.1f}" '
                     f'height="{h:.1f}"><title>{escape(day.isoformat())}: {n}</title></rect>')
    parts.append(f'<text x="{left}" y="{height - 4}">{series[0][0].isoformat()}</text>'
                 f'<text x="{width}" y="{height - 4}" text-anchor="end">{series[-1][0].isoformat()}</text></svg>')
    return Markup("".join(parts))
