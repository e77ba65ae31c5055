"""US State Department travel advisories from its RSS feed (TAsTWs.xml): one item per destination,
the level in the title, regional advice only as bold prose in the description."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from lxml import etree
from lxml import html as lxml_html
from scrapy.http import Response

from crawler.advisory_levels import native_label, normalize_advisory_level
from crawler.countries import country_from_alpha3, country_from_name, split_country_names
from crawler.items import AdvisoryItem
from crawler.spiders.advisories.common import AdvisorySpider
from crawler.spiders.advisories.payloads import (
    AdvisoryPayloadError,
    ParsedAdvisories,
    html_to_one_line,
    in_scope,
    local_to_utc,
    read_xml_payload,
)

log = logging.getLogger(__name__)

ISSUER = "us-state"
SUMMARY_CHARS = 1000
TITLE_LEVEL = re.compile(
    r"^(?P<names>.+?)(?:\s+Travel\s+Advisory)?\s*[-–—:]\s*Level\s+(?P<level>[1-4])\s*:?\s*(?P<label>.*)$",
    re.IGNORECASE,
)
ANY_LEVEL = re.compile(r"Level\s+([1-4])\s*:?\s*(.*)", re.IGNORECASE)
LINK_ALPHA3 = re.compile(r"destination\.([a-z]{3})\.html", re.IGNORECASE)
LINK_SLUG = re.compile(r"/([a-z0-9-]+?)(?:-travel-advisory)?\.html?$", re.IGNORECASE)
REGION_SENTENCE = re.compile(
    r"^(?P<phrase>do not travel|reconsider travel|exercise increased caution|exercise normal precautions)"
    r"\s+(?:to|in)\s+(?P<region>.+?)(?:\s+due to\b.*|\s+for any reason.*)?[.\s]*$",
    re.IGNORECASE,
)
DATE_ONLY = re.compile(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\s*$")
MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}


def parse_us_feed(body: bytes, scope: Collection[str] | None = None) -> ParsedAdvisories:
    """Read the whole RSS feed: a country row per destination and a region row per bold regional advice."""
    root, problem = read_xml_payload(body, "us-state RSS")
    parsed = ParsedAdvisories()
    if problem:
        parsed.skip(problem)
    if root.tag != "rss" and root.find(".//item") is None:
        raise AdvisoryPayloadError(f"us-state RSS: root <{root.tag}> is not an RSS feed")
    for item in root.iter("item"):
        try:
            parsed.items.extend(a for a in advisories_from_item(item, parsed) if in_scope(a.country, scope))
        except (ValueError, TypeError) as exc:
            parsed.skip(f"us-state item {_text(item, 'title')!r}: {exc}")
    return parsed


def advisories_from_item(item: etree._Element, parsed: ParsedAdvisories) -> Iterator[AdvisoryItem]:
    """One RSS item → a row per country it names, plus that country's regional rows."""
    title, link = _text(item, "title"), _text(item, "link") or _text(item, "guid")
    names, level_code, label = _title_parts(title, item)
    countries = _countries(names, link)
    if not countries:
        log.debug("us-state: %r names no country (e.g. Worldwide Caution); skipped", title)
        return
    issued_at = parse_us_date(_text(item, "pubDate"))
    description = _text(item, "description")
    summary = html_to_one_line(description)[:SUMMARY_CHARS]
    level = normalize_advisory_level(ISSUER, level_code) if level_code else None
    for country in countries:
        yield AdvisoryItem(
            issuer=ISSUER, country=country, level=level, level_native=f"Level {level_code}" if level_code else "",
            label=label, region="", summary=summary, url=link, issued_at=issued_at,
        )
        for region, phrase, sentence in regional_advice(description, country):
            yield AdvisoryItem(
                issuer=ISSUER, country=country, level=normalize_advisory_level(ISSUER, phrase),
                level_native=phrase.title(), label=phrase.title(), region=region, summary=sentence,
                url=link, issued_at=issued_at,
            )


def _title_parts(title: str, item: etree._Element) -> tuple[str, str | None, str]:
    """(country names, level digit or None, label) from the title, else from the Threat-Level category."""
    match = TITLE_LEVEL.match(title.strip())
    if match:
        label = match["label"].strip() or native_label(ISSUER, match["level"])
        return match["names"].strip(), match["level"], label
    for category in item.iter("category"):
        if (category.get("domain") or "").lower() == "threat-level":
            found = ANY_LEVEL.search(category.text or "")
            if found:
                return title.strip(), found[1], found[2].strip() or native_label(ISSUER, found[1])
    return re.sub(r"\s+Travel\s+Advisory.*$", "", title.strip(), flags=re.IGNORECASE), None, ""


def _countries(names: str, link: str) -> list[str]:
    """ISO codes of the destinations: the title's names first, then the link's alpha-3 code or slug.
    Never the Country-Tag category: those tags are FIPS-like (China CH, Morocco MO, Cambodia KH)."""
    whole = country_from_name(names)
    if whole:
        return [whole]
    codes = [c for c in (country_from_name(n) for n in split_country_names(names)) if c]
    if codes:
        return list(dict.fromkeys(codes))
    alpha3 = LINK_ALPHA3.search(link or "")
    if alpha3 and country_from_alpha3(alpha3[1]):
        return [country_from_alpha3(alpha3[1])]  # type: ignore[list-item]
    slug = LINK_SLUG.search(link or "")
    code = country_from_name(slug[1]) if slug else None
    return [code] if code else []


def regional_advice(description: str, country: str) -> Iterator[tuple[str, str, str]]:
    """(region, level phrase, sentence) for each paragraph or list item that opens with a bold level
    phrase and names a place other than the whole country ("Do Not Travel to areas along the border")."""
    if not description or "<" not in description:
        return
    try:
        doc = lxml_html.fragment_fromstring(description, create_parent="div")
    except (etree.ParserError, ValueError):
        return
    seen: set[str] = set()
    for block in doc.iter("li", "p"):
        first = next(iter(block), None)
        if first is None or first.tag not in ("b", "strong") or (block.text or "").strip():
            continue
        sentence = html_to_one_line(etree.tostring(block, encoding="unicode"))
        match = REGION_SENTENCE.match(sentence)
        if not match:
            continue
        region = re.sub(r"^the\s+", "", match["region"].strip(" .,;:"), flags=re.IGNORECASE)
        if not region or country_from_name(region) == country or region.casefold() in seen:
            continue
        seen.add(region.casefold())
        yield region[:300], match["phrase"], sentence


def parse_us_date(value: str | None) -> datetime | None:
    """Item pubDates are bare dates ('Tue, 15 Sep 2026', Washington's day); the channel's carry a time."""
    if not value or not value.strip():
        return None
    match = DATE_ONLY.search(value.strip())
    if match and match[2].lower()[:3] in MONTHS:
        try:
            day = date(int(match[3]), MONTHS[match[2].lower()[:3]], int(match[1]))
        except ValueError:
            return None
        return local_to_utc(day, ISSUER)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        log.debug("us-state: unreadable date %r", value)
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)  # '-0000': UTC


def _text(element: etree._Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


class UsStateSpider(AdvisorySpider):
    """`deskwatch crawl us-state`: the State Department's advisories RSS, one request."""

    name = source_key = ISSUER
    issuer = ISSUER

    def parse_start(self, response: Response) -> Iterator[AdvisoryItem]:
        parsed = self.read_payload(response, lambda body: parse_us_feed(body, self.scope))
        if parsed is not None:
            yield from self.with_retired_regions(parsed.items)
