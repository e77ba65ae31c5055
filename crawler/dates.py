"""Dates as the outlets write them (RFC-822 with colon offsets, ISO-8601, Korean "입력 : 2016.09.17 18:59",
date-only), normalized to aware UTC; unzoned values take the source's own time zone."""
from __future__ import annotations

import email.utils
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

COUNTRY_ZONES = {"KR": "Asia/Seoul", "KH": "Asia/Phnom_Penh", "JP": "Asia/Tokyo", "US": "America/New_York"}
ZONE_ABBREVIATIONS = {
    "KST": "+0900", "ICT": "+0700", "JST": "+0900", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
    "AEDT": "+1100", "AEST": "+1000", "EDT": "-0400", "EST": "-0500",
}
COLON_OFFSET_RE = re.compile(r"([+-]\d{2}):(\d{2})\s*$")
ZONE_ABBREVIATION_RE = re.compile(rf"\s({'|'.join(ZONE_ABBREVIATIONS)})$")
RFC822_START_RE = re.compile(r"^(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}")
RFC822_ZONED_RE = re.compile(r"[+-]\d{4}$|\s[A-Z]{2,4}$")
KOREAN_STAMP_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})[.\-/년]\s*(?P<m>\d{1,2})[.\-/월]\s*(?P<d>\d{1,2})[.일]?"
    r"(?:\s*(?:\([^)]*\))?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
FUTURE_TOLERANCE = timedelta(hours=6)


def zone_for(country: str | None, zone: str | None = None) -> ZoneInfo:
    """The zone a source writes unzoned times in: its registry `timezone`, else its country's."""
    name = zone or COUNTRY_ZONES.get((country or "").upper(), "UTC")
    return ZoneInfo(name)


def parse_date(value: str | datetime | None, default_zone: ZoneInfo | str = "UTC") -> datetime | None:
    """Parse one date string into aware UTC; None when it is not a date."""
    tz = ZoneInfo(default_zone) if isinstance(default_zone, str) else default_zone
    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value, tz)
    text = " ".join(str(value).split())
    if not text:
        return None
    for parser in (_parse_rfc822, _parse_iso, _parse_stamp):
        result = parser(text, tz)
        if result is not None:
            return result
    return None


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _parse_rfc822(text: str, tz: ZoneInfo) -> datetime | None:
    if not RFC822_START_RE.match(text):
        return None
    fixed = COLON_OFFSET_RE.sub(r"\1\2", text)  # Korea Herald: "+09:00"
    fixed = ZONE_ABBREVIATION_RE.sub(lambda m: f" {ZONE_ABBREVIATIONS[m.group(1)]}", fixed)
    try:
        parsed = email.utils.parsedate_tz(fixed)
    except (TypeError, ValueError):
        parsed = None
    if not parsed:
        return _parse_rfc822_date_only(fixed, tz)
    naive = datetime(*parsed[:6])
    zone_offset_s = parsed[9]
    if zone_offset_s is not None and RFC822_ZONED_RE.search(fixed):
        return (naive - timedelta(seconds=zone_offset_s)).replace(tzinfo=UTC)
    return _aware(naive, tz)


def _parse_rfc822_date_only(text: str, tz: ZoneInfo) -> datetime | None:
    """US State Dept items: "Tue, 15 Sep 2026" with no time or zone."""
    for fmt in ("%a, %d %b %Y", "%d %b %Y"):
        try:
            return _aware(datetime.strptime(text, fmt), tz)
        except ValueError:
            continue
    return None


def _parse_iso(text: str, tz: ZoneInfo) -> datetime | None:
    candidate = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        return _aware(datetime.fromisoformat(candidate), tz)
    except ValueError:
        return None


def _parse_stamp(text: str, tz: ZoneInfo) -> datetime | None:
    match = KOREAN_STAMP_RE.search(text)
    if not match:
        return None
    g = match.groupdict()
    try:
        naive = datetime(int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0), int(g["S"] or 0))
    except ValueError:
        return None
    return _aware(naive, tz)


def plausible(value: datetime | None, *, founded: datetime | None = None, now: datetime | None = None) -> bool:
    """False for a date in the future (beyond a few hours of clock skew) or before the source existed."""
    if value is None:
        return False
    now = now or datetime.now(UTC)
    if value > now + FUTURE_TOLERANCE:
        return False
    floor = founded or datetime(1990, 1, 1, tzinfo=UTC)
    return value >= floor


def first_plausible(
    candidates: Iterable[datetime | None], *, founded: datetime | None = None, now: datetime | None = None
) -> tuple[datetime | None, list[datetime]]:
    """The first plausible date of `candidates` (in order of trust; a lazy iterable is read only that far)
    and the rejected ones before it."""
    rejected: list[datetime] = []
    for value in candidates:
        if value is None:
            continue
        if plausible(value, founded=founded, now=now):
            return value, rejected
        rejected.append(value)
    return None, rejected
