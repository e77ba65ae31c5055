"""Australia's Smartraveller advice from its complete JSON export (/destinations-export): overall
level as text, regional levels only inside one comma-joined `field_advice_levels` string."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from scrapy.http import Response

from crawler.advisory_levels import (
    ISSUER_LEVELS,
    AdvisoryPayloadError,
    ParsedAdvisories,
    country_from_name,
    html_to_text,
    in_scope,
    local_to_utc,
    normalize_advisory_level,
    read_json_payload,
)
from crawler.items import AdvisoryItem
from crawler.spiders.advisories.common import AdvisorySpider

log = logging.getLogger(__name__)

ISSUER = "au-smartraveller"
PSEUDO_DESTINATIONS = {"no travel advice"}
LEVEL_TEXTS = sorted(
    (t for t, lvl in ISSUER_LEVELS[ISSUER].items() if lvl is not None), key=len, reverse=True
)
_LEVEL_ALTERNATION = "|".join(re.escape(t) for t in LEVEL_TEXTS)
# A pair starts at the string's start or after ", " with a level text ("Do not travel Do not travel to …").
PAIR_START = re.compile(rf"(?:^|,\s+)(?=(?:{_LEVEL_ALTERNATION})\b)", re.IGNORECASE)
PAIR = re.compile(rf"^(?P<level>{_LEVEL_ALTERNATION})\s*(?P<sentence>.*)$", re.IGNORECASE | re.DOTALL)
REGION_OF = re.compile(
    r"^(?:to|in)\b:?\s+(?P<region>.+?)(?:\s+due to\b|\.\s|\.?$)", re.IGNORECASE | re.DOTALL
)
CHANGED = re.compile(r"(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})")


def parse_au_export(body: bytes, scope: Collection[str] | None = None) -> ParsedAdvisories:
    """The destinations-export array → a row per destination and a row per regional level."""
    data = read_json_payload(body, "au-smartraveller export")
    if not isinstance(data, list):
        raise AdvisoryPayloadError("au-smartraveller export: not a JSON array of destinations")
    parsed = ParsedAdvisories()
    for entry in data:
        try:
            _read_destination(entry, parsed, scope)
        except (ValueError, TypeError, AttributeError) as exc:
            title = entry.get("title") if isinstance(entry, dict) else None
            parsed.skip(f"au-smartraveller destination {title!r}: {exc}")
    return parsed


def _read_destination(entry: Any, parsed: ParsedAdvisories, scope: Collection[str] | None) -> None:
    if not isinstance(entry, dict):
        raise TypeError("destination is not an object")
    title = html_to_text(str(entry.get("title") or ""))
    if title.casefold() in PSEUDO_DESTINATIONS:
        return
    url = str(entry.get("field_url") or "")
    code = country_from_name(title) or country_from_name(url.rstrip("/").rsplit("/", 1)[-1])
    if not code:
        parsed.skip(f"au-smartraveller: no ISO country for {title!r}")
        return
    if not in_scope(code, scope):
        return
    overall = html_to_text(str(entry.get("field_overall_advice_level") or ""))
    issued_at = parse_au_changed(entry.get("changed"))
    summary = html_to_text(str(entry.get("field_last_update") or ""))
    parsed.items.append(AdvisoryItem(
        issuer=ISSUER, country=code, level=normalize_advisory_level(ISSUER, overall), level_native=overall,
        label=overall, region="", summary=summary, url=url, issued_at=issued_at,
    ))  # fmt: skip
    for level_text, region, sentence in regional_levels(
        str(entry.get("field_advice_levels") or ""), title, code
    ):
        parsed.items.append(AdvisoryItem(
            issuer=ISSUER, country=code, level=normalize_advisory_level(ISSUER, level_text),
            level_native=level_text, label=level_text, region=region, summary=sentence, url=url,
            issued_at=issued_at,
        ))  # fmt: skip


def split_advice_levels(text: str) -> list[tuple[str, str]]:
    """'Exercise … Exercise … overall …, Do not travel Do not travel to areas …' → [(level text, sentence)].
    The sentences hold commas too, so a pair only starts where a level text follows ', '."""
    text = html_to_text(text)
    pairs: list[tuple[str, str]] = []
    for chunk in PAIR_START.split(text):
        match = PAIR.match(chunk.strip())
        if match:
            pairs.append((_canonical_level(match["level"]), match["sentence"].strip()))
        elif chunk.strip() and pairs:
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]}, {chunk.strip()}")
    return pairs


def regional_levels(text: str, title: str, code: str) -> list[tuple[str, str, str]]:
    """(level text, region, sentence) for the pairs that name an area rather than the whole country."""
    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for level_text, sentence in split_advice_levels(text):
        if not sentence or re.search(r"\boverall\b", sentence, re.IGNORECASE):
            continue
        repeated = PAIR.match(sentence)  # "Do not travel Do not travel to …": the level text comes twice
        match = REGION_OF.match(repeated["sentence"] if repeated else sentence)
        region = (match["region"] if match else "").strip(" .,:;")
        region = re.sub(r"^the\s+", "", " ".join(region.split()), flags=re.IGNORECASE)
        if not region or country_from_name(region) == code or region.casefold() == title.casefold():
            continue
        if region.casefold() not in seen:
            seen.add(region.casefold())
            found.append((level_text, region[:300], sentence))
    return found


def _canonical_level(text: str) -> str:
    folded = " ".join(text.split()).casefold()
    return next((t[0].upper() + t[1:] for t in LEVEL_TEXTS if t == folded), text)


def parse_au_changed(value: Any) -> datetime | None:
    """'Fri, 2026-01-16 16:00' is Canberra local time with no zone (AEDT or AEST by the date)."""
    match = CHANGED.search(value) if isinstance(value, str) else None
    if not match:
        return None
    try:
        naive = datetime.strptime(f"{match[1]} {match[2]}", "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return local_to_utc(naive, ISSUER)


class AuSmartravellerSpider(AdvisorySpider):
    """`deskwatch crawl au-smartraveller`: the complete destinations export, one request."""

    name = source_key = ISSUER
    issuer = ISSUER

    def parse_start(self, response: Response) -> Iterator[AdvisoryItem]:
        parsed = self.read_payload(response, lambda body: parse_au_export(body, self.scope))
        if parsed is not None:
            yield from self.with_retired_regions(parsed.items)
