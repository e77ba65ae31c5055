"""Global Affairs Canada travel advice from data.international.gc.ca: the index gives every country's
overall level; the per-country file (another shape) names regional levels only in its HTML."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html
from scrapy.http import Response

from crawler.advisory_levels import level_from_text, native_label, normalize_advisory_level
from crawler.countries import is_country_code
from crawler.items import AdvisoryItem
from crawler.spiders.advisories.common import AdvisorySpider
from crawler.spiders.advisories.payloads import (
    AdvisoryPayloadError,
    ParsedAdvisories,
    html_to_one_line,
    in_scope,
    local_to_utc,
    read_json_payload,
)

log = logging.getLogger(__name__)

ISSUER = "ca-gac"
PAGE_URL = "https://travel.gc.ca/destinations/{slug}"
REGIONAL_SUFFIX = re.compile(r"\s*\(with regional advisories\)\s*$", re.IGNORECASE)
SUBDIVISION_KEY = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")  # e.g. PT-20, the Azores
FRIENDLY_DATE = re.compile(
    r"^(?P<stamp>[A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d{2})(?:\s+(?P<zone>[A-Z]{2,4}))?$"
)
EASTERN_OFFSETS = {"EDT": -4, "EST": -5}


def parse_ca_index(body: bytes, scope: Collection[str] | None = None) -> tuple[ParsedAdvisories, list[str]]:
    """index-alpha-eng.json → a row per country (and per odd subdivision key), plus the ISO codes whose
    entries flag regional advisories (their cta-cap-XX.json holds the regions)."""
    data = read_json_payload(body, "ca-gac index")
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise AdvisoryPayloadError("ca-gac index: no `data` object keyed by country")
    parsed, regional = ParsedAdvisories(), []
    for key, entry in entries.items():
        try:
            item = advisory_from_index_entry(str(key), entry)
        except (ValueError, TypeError, AttributeError) as exc:
            parsed.skip(f"ca-gac index entry {key!r}: {exc}")
            continue
        if item is None or not in_scope(item.country, scope):
            continue
        parsed.items.append(item)
        if _flag(entry.get("has-regional-advisory")) and not item.region:
            regional.append(item.country)
    return parsed, regional


def advisory_from_index_entry(key: str, entry: Any) -> AdvisoryItem | None:
    """One index entry → its row; a subdivision key (PT-20) becomes a region row of its country."""
    if not isinstance(entry, dict):
        raise TypeError("entry is not an object")
    code = str(entry.get("country-iso") or key).strip().upper()
    region = ""
    eng: dict[str, Any] = entry["eng"] if isinstance(entry.get("eng"), dict) else {}
    subdivision = SUBDIVISION_KEY.match(code)
    if subdivision:
        code, region = subdivision[1], str(eng.get("name") or entry.get("country-eng") or key)
    if not is_country_code(code):
        raise ValueError(f"no ISO country code ({code!r})")
    state = entry.get("advisory-state")
    if state is None or str(state).strip() not in {"0", "1", "2", "3"}:
        raise ValueError(f"advisory-state {state!r} is not 0–3")
    state = str(state).strip()
    label = REGIONAL_SUFFIX.sub("", str(eng.get("advisory-text") or "")) or native_label(ISSUER, state)
    return AdvisoryItem(
        issuer=ISSUER, country=code, level=normalize_advisory_level(ISSUER, state), level_native=state,
        label=label, region=region[:300], summary=str(eng.get("recent-updates") or "").strip(),
        url=PAGE_URL.format(slug=eng.get("url-slug") or ""), issued_at=_published(entry.get("date-published")),
    )


def parse_ca_country(body: bytes, scope: Collection[str] | None = None) -> ParsedAdvisories:
    """cta-cap-XX.json → the regional rows written in its advisories HTML
    (`<div class="AdvisoryContainer RegionalAdv"><h3>{Region} - Avoid all travel</h3>…`)."""
    data = read_json_payload(body, "ca-gac country")
    inner = data.get("data") if isinstance(data, dict) else None
    if not isinstance(inner, dict) or not isinstance(inner.get("eng"), dict):
        raise AdvisoryPayloadError("ca-gac country: no data.eng object")
    parsed = ParsedAdvisories()
    code = str(inner.get("country-iso") or "").strip().upper()
    if not is_country_code(code):
        parsed.skip(f"ca-gac country file: no ISO country code ({code!r})")
        return parsed
    if not in_scope(code, scope):
        return parsed
    eng = inner["eng"]
    issued_at = parse_friendly_date(eng.get("friendly-date"))
    url = PAGE_URL.format(slug=eng.get("url-slug") or "")
    for region, label, sentence in regional_containers(str(eng.get("advisories") or "")):
        level, _ = level_from_text(ISSUER, label)
        if level is None:
            parsed.skip(f"ca-gac {code}: unknown regional level {label!r} for {region!r}")
            continue
        parsed.items.append(AdvisoryItem(
            issuer=ISSUER, country=code, level=level, level_native=str(level - 1), label=label,
            region=region[:300], summary=sentence, url=url, issued_at=issued_at,
        ))
    return parsed


def regional_containers(advisories_html: str) -> list[tuple[str, str, str]]:
    """(region, level label, first paragraph) of each RegionalAdv container."""
    if not advisories_html.strip():
        return []
    try:
        root = lxml_html.fragment_fromstring(advisories_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    found: list[tuple[str, str, str]] = []
    for box in root.xpath('.//div[contains(concat(" ", normalize-space(@class), " "), " RegionalAdv ")]'):
        heading = box.find(".//h3")
        if heading is None:
            continue
        title = html_to_one_line(etree.tostring(heading, encoding="unicode", with_tail=False))
        region, sep, label = title.rpartition(" - ")
        if not sep or not region.strip():
            continue
        first = box.find(".//p")
        sentence = (
            html_to_one_line(etree.tostring(first, encoding="unicode", with_tail=False))
            if first is not None
            else ""
        )
        found.append((region.strip(), label.strip(), sentence))
    return found


def _published(value: Any) -> datetime | None:
    """`date-published`: `asp` (ISO with offset) or `timestamp` (epoch); never `date` (local, unzoned)."""
    if not isinstance(value, dict):
        return None
    asp = value.get("asp")
    if isinstance(asp, str) and asp.strip():
        try:
            moment = datetime.fromisoformat(asp.strip())
            moment = moment.replace(microsecond=0)
            return moment.astimezone(UTC) if moment.tzinfo else local_to_utc(moment, ISSUER)
        except ValueError:
            log.debug("ca-gac: unreadable asp %r", asp)
    stamp = value.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and 0 < stamp < 4e10:
        return datetime.fromtimestamp(stamp, UTC)
    return None


def parse_friendly_date(value: Any) -> datetime | None:
    """'September 24, 2026 08:53 EDT' → UTC (Ottawa's EDT/EST; no zone means Ottawa local time)."""
    match = FRIENDLY_DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    try:
        naive = datetime.strptime(match["stamp"], "%B %d, %Y %H:%M")
    except ValueError:
        return None
    offset = EASTERN_OFFSETS.get(match["zone"] or "")
    if offset is None:
        return local_to_utc(naive, ISSUER)
    return naive.replace(tzinfo=timezone(timedelta(hours=offset))).astimezone(UTC)


def _flag(value: Any) -> bool:
    return str(value).strip() in {"1", "true", "True"}


class CaGacSpider(AdvisorySpider):
    """`deskwatch crawl ca-gac`: the index, then cta-cap-XX.json for countries flagged with regional advice."""

    name = source_key = ISSUER
    issuer = ISSUER

    def parse_start(self, response: Response) -> Iterator[Any]:
        result: dict[str, list[str]] = {}

        def parse(body: bytes) -> ParsedAdvisories:
            parsed, result["regional"] = parse_ca_index(body, self.scope)
            return parsed

        parsed = self.read_payload(response, parse)
        if parsed is None:
            return
        yield from parsed.items
        subdivisions = {i.region for i in parsed.items if i.region}
        for row in (i for i in parsed.items if not i.region):
            if row.country in result["regional"]:
                yield self.listing_request(
                    urljoin(response.url, f"cta-cap-{row.country}.json"), self.parse_country,
                    cb_kwargs={"country_row": row, "keep": subdivisions},
                )
            else:
                yield from self.retired_regions(row, listed=(), keep=subdivisions)

    def parse_country(
        self, response: Response, country_row: AdvisoryItem, keep: set[str]
    ) -> Iterator[AdvisoryItem]:
        parsed = self.read_payload(response, lambda body: parse_ca_country(body, self.scope))
        if parsed is None:
            return
        yield from parsed.items
        yield from self.retired_regions(country_row, {i.region for i in parsed.items}, keep)
