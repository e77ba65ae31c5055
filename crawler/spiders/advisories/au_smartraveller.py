"""Australia's Smartraveller advice from its complete JSON export (/destinations-export): overall
level as text, regional levels only inside one comma-joined `field_advice_levels` string."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.advisory_levels import ISSUER_LEVELS, normalize_advisory_level
from crawler.countries import country_from_name
from crawler.items import AdvisoryItem
from crawler.spiders.advisories.common import AdvisorySpider
from crawler.spiders.advisories.payloads import (
    AdvisoryPayloadError,
    ParsedAdvisories,
    html_to_one_line,
    in_scope,
    local_to_utc,
    read_json_payload,
    read_xml_payload,
)

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
RSS_LEVEL = re.compile(r"^\s*([1-4])(?:\s*/\s*\d)?\s*$")
RSS_DATE = re.compile(
    r"(?P<stamp>\d{1,2} [A-Za-z]{3} \d{4} \d{1,2}:\d{2}:\d{2})(?:\s+(?P<zone>[A-Za-z]{3,5}))?"
)
AU_ZONE_OFFSETS = {"AEDT": 11, "AEST": 10, "ACDT": 10.5, "ACST": 9.5, "AWST": 8, "GMT": 0, "UTC": 0}
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
    title = html_to_one_line(str(entry.get("title") or ""))
    if title.casefold() in PSEUDO_DESTINATIONS:
        return
    url = str(entry.get("field_url") or "")
    code = country_from_name(title) or country_from_name(url.rstrip("/").rsplit("/", 1)[-1])
    if not code:
        parsed.skip(f"au-smartraveller: no ISO country for {title!r}")
        return
    if not in_scope(code, scope):
        return
    overall = html_to_one_line(str(entry.get("field_overall_advice_level") or ""))
    issued_at = parse_au_changed(entry.get("changed"))
    summary = html_to_one_line(str(entry.get("field_last_update") or ""))
    parsed.items.append(AdvisoryItem(
        issuer=ISSUER, country=code, level=normalize_advisory_level(ISSUER, overall), level_native=overall,
        label=overall, region="", summary=summary, url=url, issued_at=issued_at,
    ))
    for level_text, region, sentence in regional_levels(
        str(entry.get("field_advice_levels") or ""), title, code
    ):
        parsed.items.append(AdvisoryItem(
            issuer=ISSUER, country=code, level=normalize_advisory_level(ISSUER, level_text),
            level_native=level_text, label=level_text, region=region, summary=sentence, url=url,
            issued_at=issued_at,
        ))


def split_advice_levels(text: str) -> list[tuple[str, str]]:
    """'Exercise … Exercise … overall …, Do not travel Do not travel to areas …' → [(level text, sentence)].
    The sentences hold commas too, so a pair only starts where a level text follows ', '."""
    text = html_to_one_line(text)
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


def parse_au_rss(body: bytes, scope: Collection[str] | None = None) -> ParsedAdvisories:
    """The secondary RSS (countries/documents/index.rss): a country row per item from `ta:warnings`
    (its level text, else a level number such as "3" or "3/4"); it carries no regional levels."""
    root, problem = read_xml_payload(body, "au-smartraveller RSS")
    parsed = ParsedAdvisories()
    if problem:
        parsed.skip(problem)
    if etree.QName(root).localname != "rss":
        raise AdvisoryPayloadError(f"au-smartraveller RSS: root <{root.tag}> is not an RSS feed")
    for item in root.iter("item"):
        title = html_to_one_line(_child_text(item, "title"))
        code = country_from_name(title)
        if not code:
            parsed.skip(f"au-smartraveller RSS: no ISO country for {title!r}")
            continue
        if not in_scope(code, scope):
            continue
        level_text = html_to_one_line(_child_text(item, "warnings", "description"))
        level = normalize_advisory_level(ISSUER, level_text)
        number = RSS_LEVEL.match(_child_text(item, "warnings", "level"))
        if level is None and number:
            level = int(number[1])
        parsed.items.append(AdvisoryItem(
            issuer=ISSUER, country=code, level=level, level_native=level_text or (number[0] if number else ""),
            label=level_text, region="", summary=html_to_one_line(_child_text(item, "description")),
            url=_child_text(item, "link"), issued_at=parse_au_pubdate(_child_text(item, "pubDate")),
        ))
    return parsed


def parse_au_pubdate(value: str) -> datetime | None:
    """'27 Mar 2025 23:00:00 AEDT' (zone abbreviations that RFC 822 parsers reject) → UTC."""
    match = RSS_DATE.search(value or "")
    if not match:
        return None
    try:
        naive = datetime.strptime(match["stamp"], "%d %b %Y %H:%M:%S")
    except ValueError:
        return None
    offset = AU_ZONE_OFFSETS.get((match["zone"] or "").upper())
    if offset is None:
        return local_to_utc(naive, ISSUER)
    return naive.replace(tzinfo=timezone(timedelta(hours=offset))).astimezone(UTC)


def _child_text(element: etree._Element, *path: str) -> str:
    """Text at a path of local names (namespaces vary between feed versions: `ta:` is matched by name)."""
    for name in path:
        element = next(
            (c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name), None
        )
        if element is None:
            return ""
    return (element.text or "").strip()


class AuSmartravellerSpider(AdvisorySpider):
    """`deskwatch crawl au-smartraveller`: the complete destinations export, one request; when it cannot be
    read and the registry names an `rss_url`, the RSS gives at least each country's overall level."""

    name = source_key = ISSUER
    issuer = ISSUER

    def first_requests(self) -> Iterator[scrapy.Request]:
        request = self.listing_request(self.start_url, self.parse_start, start=True)
        yield request.replace(errback=self.on_export_error)

    def parse_start(self, response: Response) -> Iterator[Any]:
        parsed = self.read_payload(response, lambda body: parse_au_export(body, self.scope))
        if parsed is not None:
            yield from self.with_retired_regions(parsed.items)
        elif response.status != 304:
            yield from self.fallback_requests()

    def on_export_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.on_request_error(failure)
        yield from self.fallback_requests()

    def fallback_requests(self) -> Iterator[scrapy.Request]:
        """The RSS named by the `rss_url` option (relative to the start URL, or absolute; an absolute one is
        not used when the start URL was overridden, so a replay never falls back onto the real site)."""
        rss_url = str(self.entry.option("rss_url") or "")
        if not rss_url or (self._url_arg and urlsplit(rss_url).scheme):
            return
        self.logger.warning("au-smartraveller: export unusable, falling back to %s", rss_url)
        yield self.listing_request(urljoin(self.start_url, rss_url), self.parse_rss, conditional=False)

    def parse_rss(self, response: Response) -> Iterator[AdvisoryItem]:
        parsed = self.read_payload(response, lambda body: parse_au_rss(body, self.scope))
        if parsed is not None and parsed.items:
            self.start_failed = False  # the secondary source answered: the run is partial, not failed
            yield from parsed.items
