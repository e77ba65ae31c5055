"""Japan MOFA danger information (危険情報) from the ezairyu open-data country XML: the country's level is
the highest risk level with a non-zero region count; maintenance pages answer HTML with status 200."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from lxml import etree
from scrapy.http import Response

from crawler.advisory_levels import native_label, normalize_advisory_level
from crawler.countries import JP_COUNTRY_CODES, country_from_jp_code
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

ISSUER = "jp-mofa"
COUNTRY_XML = "https://www.ezairyu.mofa.go.jp/opendata/country/{code}A.xml"
JP_STAMP = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
DANGER_INFO = "T40"
SUMMARY_CHARS = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_jp_country(
    body: bytes, requested_code: str | None = None, scope: Collection[str] | None = None
) -> ParsedAdvisories:
    """One country file (`/opendata/country/0855A.xml`) → the country's row."""
    if b"<opendata" not in body[:4096]:
        start = body.lstrip()[:60]
        raise AdvisoryPayloadError(f"jp-mofa: not an <opendata> document (maintenance page?): {start!r}")
    root, problem = read_xml_payload(body, "jp-mofa")
    parsed = ParsedAdvisories()
    if problem:
        parsed.skip(problem)
    if root.tag != "opendata":
        raise AdvisoryPayloadError(f"jp-mofa: root element is <{root.tag}>, not <opendata>")
    code_el = root.find(".//country")
    jp_code = _attr_or_child(code_el, "cd") or requested_code
    jp_name = _attr_or_child(code_el, "name")
    country = country_from_jp_code(jp_code, jp_name)
    if not country:
        parsed.skip(f"jp-mofa: no ISO country for code {jp_code!r} name {jp_name!r}")
        return parsed
    if not in_scope(country, scope):
        return parsed
    counts = risk_counts(root)
    step = max((n for n, c in counts.items() if c > 0), default=0)
    parsed.items.append(AdvisoryItem(
        issuer=ISSUER, country=country, level=normalize_advisory_level(ISSUER, str(step)),
        level_native=str(step), label=native_label(ISSUER, str(step)), region="",
        summary=_summary(root, counts), url=COUNTRY_XML.format(code=(jp_code or "").zfill(4)),
        issued_at=_danger_info_time(root) or parse_jp_time(root.get("lastModified")),
    ))
    return parsed


def risk_counts(root: etree._Element) -> dict[int, int]:
    """{1: regions at レベル1, …, 4: regions at レベル4}; missing or unreadable counts are 0."""
    counts: dict[int, int] = {}
    for n in range(1, 5):
        element = root.find(f".//riskLevel{n}")
        text = (element.text or "").strip() if element is not None else ""
        counts[n] = int(text) if text.isdecimal() else (1 if text.upper() in {"Y", "TRUE"} else 0)
    return counts


def _summary(root: etree._Element, counts: dict[int, int]) -> str:
    """The danger information's title and lead, then how many regions stand at each level."""
    parts = [
        html_to_one_line(root.findtext(".//riskTitle") or ""),
        html_to_one_line(root.findtext(".//riskLead") or ""),
    ]
    if not any(parts):
        mail = _danger_mail(root)
        if mail is not None:
            parts = [html_to_one_line(mail.findtext("title") or ""), html_to_one_line(mail.findtext("lead") or "")]
    tally = " ".join(f"レベル{n}:{c}" for n, c in sorted(counts.items()) if c)
    text = " ".join(p for p in (*parts, f"[{tally}]" if tally else "") if p)
    return text[:SUMMARY_CHARS]


def _danger_mail(root: etree._Element) -> etree._Element | None:
    mails = [m for m in root.iter("mail") if (m.findtext("infoType") or "").strip() == DANGER_INFO]
    return max(mails, key=lambda m: parse_jp_time(m.findtext("leaveDate")) or EPOCH, default=None)


def _danger_info_time(root: etree._Element) -> datetime | None:
    mail = _danger_mail(root)
    return parse_jp_time(mail.findtext("leaveDate")) if mail is not None else None


def parse_jp_time(value: Any) -> datetime | None:
    """'2026/09/30 17:05:00' (JST) → UTC."""
    match = JP_STAMP.search(value) if isinstance(value, str) else None
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return local_to_utc(naive, ISSUER)


def _attr_or_child(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(name) or element.findtext(name)
    return value.strip() if value and value.strip() else None


class JpMofaSpider(AdvisorySpider):
    """`deskwatch crawl jp-mofa`: one open-data country file per in-scope country (the registry url is the
    /opendata/country/ folder; option `variant`: "A" full, "" normal, "L" light)."""

    name = source_key = ISSUER
    issuer = ISSUER

    def first_requests(self) -> Iterator[scrapy.Request]:
        variant = str(self.entry.option("variant", "L"))
        by_country = {iso: code for code, iso in JP_COUNTRY_CODES.items()}
        wanted = sorted(self.scope) if self.scope is not None else sorted(by_country)
        folder = self.start_url if self.start_url.endswith("/") else self.start_url.rsplit("/", 1)[0] + "/"
        for country in wanted:
            code = by_country.get(country)
            if code is None:
                self.record_error("config", f"no Japan MOFA country code known for {country}")
                continue
            yield self.listing_request(f"{folder}{code}{variant}.xml", self.parse_country,
                                       cb_kwargs={"code": code})

    def parse_country(self, response: Response, code: str) -> Iterator[AdvisoryItem]:
        parsed = self.read_payload(response, lambda body: parse_jp_country(body, code, self.scope))
        if parsed is not None:
            yield from parsed.items
