"""UK FCDO travel advice from the GOV.UK content API: the index lists the countries, each country's
document carries `alert_status` flags; the regions they cover are named only in the parts' HTML."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import scrapy
from lxml import etree
from lxml import html as lxml_html
from scrapy.http import Response

from crawler.advisory_levels import level_from_text, native_label, normalize_advisory_level
from crawler.countries import country_from_name
from crawler.items import AdvisoryItem
from crawler.spiders.advisories.common import AdvisorySpider
from crawler.spiders.advisories.payloads import (
    AdvisoryPayloadError,
    ParsedAdvisories,
    html_to_one_line,
    in_scope,
    read_json_payload,
)

log = logging.getLogger(__name__)

ISSUER = "uk-fcdo"
SITE = "https://www.gov.uk"
API_PREFIX = "/api/content"
REGION_PARTS = ("warnings-and-insurance", "regional-risks")  # where regional advice is, most specific last
SKIPPED_HEADINGS = ("areas-where-fcdo-advises-against-travel",)
STATUS_RANK = (
    "avoid_all_travel_to_whole_country", "avoid_all_but_essential_travel_to_whole_country",
    "avoid_all_travel_to_parts", "avoid_all_but_essential_travel_to_parts",
)


@dataclass(frozen=True)
class UkCountry:
    """One country of the index: its GOV.UK slug, name, ISO code and content API path."""

    slug: str
    name: str
    country: str
    api_path: str


def parse_uk_index(body: bytes, scope: Collection[str] | None = None) -> tuple[list[UkCountry], list[str]]:
    """The index document's `links.children[]` → the countries to fetch (and a line per unmapped slug)."""
    data = read_json_payload(body, "uk-fcdo index")
    children = (data.get("links") or {}).get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise AdvisoryPayloadError("uk-fcdo index: no links.children list")
    countries: list[UkCountry] = []
    problems: list[str] = []
    for child in children:
        details = (child or {}).get("details") if isinstance(child, dict) else None
        info = (details or {}).get("country") or {}
        slug, name = str(info.get("slug") or ""), str(info.get("name") or "")
        code = country_from_name(name) or country_from_name(slug)
        if not slug or not code:
            problems.append(f"uk-fcdo index: no ISO country for slug {slug!r} name {name!r}")
            continue
        if in_scope(code, scope):
            api_path = str(child.get("api_path") or f"{API_PREFIX}/foreign-travel-advice/{slug}")
            countries.append(UkCountry(slug, name, code, api_path))
    return countries, problems


def parse_uk_country(body: bytes, scope: Collection[str] | None = None) -> ParsedAdvisories:
    """One country's travel_advice document → the country row and, for flags on parts, region rows."""
    data = read_json_payload(body, "uk-fcdo country")
    if not isinstance(data, dict) or not isinstance(data.get("details"), dict):
        raise AdvisoryPayloadError("uk-fcdo country: no details object (not a travel_advice document)")
    parsed = ParsedAdvisories()
    details = data["details"]
    info = details.get("country") if isinstance(details.get("country"), dict) else {}
    code = country_from_name(str(info.get("name") or "")) or country_from_name(str(info.get("slug") or ""))
    if not code:
        parsed.skip(f"uk-fcdo: no ISO country for {info!r}")
        return parsed
    if not in_scope(code, scope):
        return parsed
    if data.get("withdrawn_notice"):
        parsed.skip(f"uk-fcdo {code}: advice withdrawn")
        return parsed
    statuses = _alert_statuses(details.get("alert_status"))
    url = SITE + str(data.get("base_path") or f"/foreign-travel-advice/{info.get('slug', '')}")
    issued_at = parse_uk_time(data.get("public_updated_at") or details.get("updated_at"))
    strongest = _strongest(statuses)
    parsed.items.append(AdvisoryItem(
        issuer=ISSUER, country=code, level=whole_country_level(statuses), level_native=",".join(statuses) or "none",
        label=native_label(ISSUER, strongest), region="", summary=html_to_one_line(str(details.get("change_description") or "")),
        url=url, issued_at=issued_at,
    ))
    if any(s.endswith("_to_parts") for s in statuses):
        for region, level, sentence in regions_from_parts(details.get("parts")):
            parsed.items.append(AdvisoryItem(
                issuer=ISSUER, country=code, level=level, level_native=_parts_status(level),
                label=native_label(ISSUER, _parts_status(level)), region=region, summary=sentence, url=url,
                issued_at=issued_at,
            ))
    return parsed


def whole_country_level(statuses: list[str]) -> int:
    """1 with no flag, 3/4 for flags on the whole country, else 2 when only parts are flagged."""
    levels = [normalize_advisory_level(ISSUER, s) or 1 for s in statuses]
    whole = [lvl for s, lvl in zip(statuses, levels, strict=True) if s.endswith("_whole_country")]
    if whole:
        return max(whole)
    return 2 if statuses else 1


def regions_from_parts(parts: Any) -> Iterator[tuple[str, int, str]]:
    """(region, level, sentence) for each `<h2>` section of the parts that says FCDO advises against travel."""
    if not isinstance(parts, list):
        return
    ordered = sorted(
        (p for p in parts if isinstance(p, dict) and p.get("body")),
        key=lambda p: (
            REGION_PARTS.index(p.get("slug")) if p.get("slug") in REGION_PARTS else len(REGION_PARTS)
        ),
    )
    seen: set[str] = set()
    for part in ordered:
        for heading_id, heading, text in _h2_sections(str(part["body"])):
            level, _phrase = level_from_text(ISSUER, text)
            key = heading.casefold().strip()
            if level is None or level < 3 or heading_id in SKIPPED_HEADINGS or not key or key in seen:
                continue
            seen.add(key)
            sentence = next((s for s in _sentences(text) if "advises against" in s.casefold()), text)
            yield heading[:300], level, sentence


def _h2_sections(body: str) -> Iterator[tuple[str, str, str]]:
    """(h2 id, h2 text, text up to the next h2) over the top-level blocks of a part's HTML."""
    try:
        root = lxml_html.fragment_fromstring(body, create_parent="div")
    except (etree.ParserError, ValueError):
        return
    current: tuple[str, str] | None = None
    texts: list[str] = []
    for block in root:
        if not isinstance(block.tag, str):
            continue
        if block.tag == "h2":
            if current:
                yield current[0], current[1], " ".join(texts)
            current, texts = (
                (block.get("id") or "", html_to_one_line(etree.tostring(block, encoding="unicode"))),
                [],
            )
        elif block.find(".//h2") is not None:  # a call-to-action box with its own heading ends the section
            if current:
                yield current[0], current[1], " ".join(texts)
            current, texts = None, []
        elif current is not None:
            texts.append(html_to_one_line(etree.tostring(block, encoding="unicode", with_tail=False)))
    if current:
        yield current[0], current[1], " ".join(texts)


def _sentences(text: str) -> list[str]:
    return [s.strip() + "." for s in text.split(". ") if s.strip()]


def _alert_statuses(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value] if value.strip() else []
    if not isinstance(value, list):
        return []
    return sorted({str(v).strip() for v in value if isinstance(v, str) and v.strip()})


def _strongest(statuses: list[str]) -> str:
    """The flag that says most (whole country over parts, all travel over all but essential)."""
    known = [s for s in STATUS_RANK if s in statuses]
    return known[0] if known else (statuses[0] if statuses else "none")


def _parts_status(level: int) -> str:
    return "avoid_all_travel_to_parts" if level >= 4 else "avoid_all_but_essential_travel_to_parts"


def parse_uk_time(value: Any) -> datetime | None:
    """GOV.UK timestamps are ISO-8601 with an offset (+01:00) or Z."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        log.debug("uk-fcdo: unreadable time %r", value)
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


class UkFcdoSpider(AdvisorySpider):
    """`deskwatch crawl uk-fcdo`: the index (always fetched), then each in-scope country's document."""

    name = source_key = ISSUER
    issuer = ISSUER

    def first_requests(self) -> Iterator[scrapy.Request]:
        yield self.listing_request(self.start_url, self.parse_start, start=True, conditional=False)

    def parse_start(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            countries, problems = parse_uk_index(response.body, self.scope)
        except AdvisoryPayloadError as exc:
            self.start_failed = True
            self.record_error("parse", f"{response.url}: {exc}")
            return
        for problem in problems:
            self.logger.info("%s", problem)  # territories without an ISO code are expected, not errors
        base = response.url.split("?", 1)[0].rstrip("/")
        for country in countries:
            yield self.listing_request(f"{base}/{country.slug}", self.parse_country,
                                       meta={"handle_httpstatus_list": [304, 404]})

    def parse_country(self, response: Response) -> Iterator[AdvisoryItem]:
        if response.status == 404:  # GOV.UK answers 404 for withdrawn advice: expected, not an error
            self.crawler.stats.inc_value("deskwatch/withdrawn")
            self.logger.info("uk-fcdo: no advice at %s (withdrawn)", response.url)
            return
        parsed = self.read_payload(response, lambda body: parse_uk_country(body, self.scope))
        if parsed is not None:
            yield from self.with_retired_regions(parsed.items)
