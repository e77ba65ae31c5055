"""Google News sitemaps (`<urlset>` with `news:news`), and sitemap indexes that point at them."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders.base import FeedEntry, SourceSpider
from crawler.spiders.feed import FeedParseError, _local, _parse_xml


def sitemap_entries(body: bytes) -> tuple[list[FeedEntry], list[str]]:
    """(articles of a urlset, child sitemap URLs of a sitemapindex)."""
    root = _parse_xml(body, None)
    if root is None or _local(root.tag) not in {"urlset", "sitemapindex"}:
        raise FeedParseError(f"not a sitemap (root {getattr(root, 'tag', None)!r})")
    if _local(root.tag) == "sitemapindex":
        return [], [t.strip() for t in root.xpath("//*[local-name()='sitemap']/*[local-name()='loc']/text()")]
    entries = []
    for url in root.xpath("//*[local-name()='url']"):
        loc = "".join(url.xpath("./*[local-name()='loc']/text()")).strip()
        if not loc:
            continue
        entries.append(FeedEntry(url=loc, title=_first(url, "title") or "", published=_first(url, "publication_date"),
                                 updated=_first(url, "lastmod")))
    return entries, []


def _first(node: Any, name: str) -> str | None:
    return "".join(node.xpath(f".//*[local-name()='{name}']/text()")).strip() or None


class SitemapSpider(SourceSpider):
    name = "sitemap"

    def parse_start(self, response: Response) -> Iterator[Any]:
        if self.not_modified(response):
            return
        try:
            entries, children = sitemap_entries(response.body)
        except FeedParseError as exc:
            self.start_failed = self.start_failed or bool(response.meta.get("deskwatch_start"))
            self.record_error("parse", f"{response.url}: {exc}")
            return
        for child in children[: int(self.entry.option("max_sitemaps", 3))]:
            yield self.listing_request(response.urljoin(child), self.parse_start)
        self.crawler.stats.inc_value("deskwatch/listed", len(entries))
        yield from self.follow_entries(entries)
        self.commit_validators(response)
