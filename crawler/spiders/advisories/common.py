"""What the six advisory spiders share on top of the base spider: the country scope, turning a payload
into items through a pure parser (a bad payload is a counted error, never a crash), and retiring
regional rows an issuer no longer lists, so a lifted regional warning is an event too."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.crawl_store import MONITORED_COUNTRIES
from crawler.items import AdvisoryItem
from crawler.spiders.advisories.payloads import AdvisoryPayloadError, ParsedAdvisories
from crawler.spiders.base import START_META, SourceSpider

log = logging.getLogger(__name__)

LIFTED = "lifted"


def advisory_scope(value: Any) -> frozenset[str] | None:
    """The registry's `countries` option: a list of ISO codes, or ["*"] for every country."""
    if value is None:
        return frozenset(MONITORED_COUNTRIES)
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    codes = {str(v).strip().upper() for v in value if str(v).strip()}
    if "*" in codes:
        return None
    if not codes:
        raise ValueError('`countries` is empty: list ISO codes, or ["*"] for every country')
    return frozenset(codes)


class AdvisorySpider(SourceSpider):
    """Base of the issuer spiders; `name = ""` keeps it out of Scrapy's spider list."""

    name = ""
    issuer = ""

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.scope: frozenset[str] | None = advisory_scope(self.entry.option("countries"))

    def read_payload(
        self, response: Response, parse: Callable[[bytes], ParsedAdvisories]
    ) -> ParsedAdvisories | None:
        """Run a pure parser on a response; None (and a counted error) when the payload is unusable."""
        if self.not_modified(response):
            return None
        try:
            parsed = parse(response.body)
        except AdvisoryPayloadError as exc:
            if response.meta.get(START_META):
                self.start_failed = True
            self.record_error("parse", f"{response.url}: {exc}")
            return None
        for problem in parsed.problems:
            self.record_error("parse", f"{response.url}: {problem}")
        self.commit_validators(response)
        return parsed

    def with_retired_regions(self, items: list[AdvisoryItem]) -> Iterator[AdvisoryItem]:
        """The items of a payload that covers whole countries, then the regions they no longer list."""
        yield from items
        listed: dict[str, set[str]] = {}
        for item in items:
            listed.setdefault(item.country, set()).add(item.region)
        for item in items:
            if not item.region:
                yield from self.retired_regions(item, listed[item.country])

    def retired_regions(
        self, country_row: AdvisoryItem, listed: Collection[str], keep: Collection[str] = ()
    ) -> Iterator[AdvisoryItem]:
        """A 'lifted' row for each region the store holds for this country that the issuer no longer lists
        (its level falls back to the country's), so a lifted regional warning is a change like any other."""
        for row in self.crawl_store.advice_in_force(country_row.country, self.issuer):
            region = row["region"]
            if not region or region in listed or region in keep or row["level_native"] == LIFTED:
                continue
            yield AdvisoryItem(
                issuer=self.issuer, country=country_row.country, level=country_row.level, level_native=LIFTED,
                label="Regional advice no longer listed", region=region,
                summary=f"{self.issuer} no longer lists separate advice for this area", url=country_row.url,
                issued_at=country_row.issued_at,
            )
